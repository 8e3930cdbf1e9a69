// Frustration signals through the real click instrumentation (instr/actions.ts): its click
// handler, clusters, dead-click eligibility and naming, with a small stand-in DOM. The
// stand-in matches the simple selectors the agent uses (tag, [attr], [attr=v], [attr^=v]) the
// way a browser does; what needs a real browser's layout and events is in agent/e2e.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Core, Signal } from "../src/agent";
import { RAGE_RADIUS } from "../src/frustration";
import { actions } from "../src/instr/actions";
import type { ActionEventBody, EventBody } from "../src/protocol.gen";

/** Does `el` match one simple selector of a selector list? */
function matchesOne(el: FakeElement, sel: string): boolean {
  const m = /^([a-z]*)(?:\[([\w-]+)(?:(\^?=)([\w-]+))?\])?$/.exec(sel.trim());
  if (!m) throw new Error(`selector the stand-in DOM cannot match: ${sel}`);
  const [, tag, attr, op, value] = m;
  if (tag && el.localName !== tag) return false;
  if (!attr) return true;
  const v = el.getAttribute(attr);
  if (v == null) return false;
  return !op || (op === "=" ? v === value : v.startsWith(value!));
}

class FakeElement {
  nodeType = 1;
  id = "";
  classList: string[] = [];
  isContentEditable = false;
  children: FakeElement[] = [];
  parentElement: FakeElement | null = null;
  constructor(
    public localName: string,
    private attrs: Record<string, string> = {},
    private text = "",
  ) {}
  get textContent(): string {
    return this.text + this.children.map((c) => c.textContent).join(" ");
  }
  getAttribute(k: string): string | null {
    return this.attrs[k] ?? null;
  }
  matches(sel: string): boolean {
    return sel.split(",").some((s) => matchesOne(this, s));
  }
  closest(sel: string): FakeElement | null {
    for (let e: FakeElement | null = this; e; e = e.parentElement) if (e.matches(sel)) return e;
    return null;
  }
  add(...kids: FakeElement[]): this {
    for (const k of kids) {
      k.parentElement = this;
      this.children.push(k);
    }
    return this;
  }
}
const el = (tag: string, attrs: Record<string, string> = {}, text = "") => new FakeElement(tag, attrs, text);

let clock: number;
let click: (e: { target: FakeElement; clientX: number; clientY: number }) => void;
let mutations: (() => void) | undefined;
let sent: ActionEventBody[];
let listeners: Record<Signal, (() => void)[]>;

class FakeMutationObserver {
  constructor(fn: () => void) {
    mutations = fn;
  }
  observe() {}
  disconnect() {}
}

beforeEach(() => {
  vi.useFakeTimers();
  clock = 0;
  sent = [];
  listeners = { error: [], reaction: [] };
  mutations = undefined;
  vi.stubGlobal("performance", { now: () => clock });
  vi.stubGlobal("window", { addEventListener() {} });
  vi.stubGlobal("document", {
    addEventListener: (type: string, fn: typeof click) => type === "click" && (click = fn),
  });
  vi.stubGlobal("MutationObserver", FakeMutationObserver);
  const core = {
    cfg: { maskText: false },
    emit: (b: EventBody) => (b.kind === "action" && sent.push(b), undefined),
    listen: (s: Signal, fn: () => void) => listeners[s].push(fn),
    onEnd() {},
  } as unknown as Core;
  actions(core);
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

/** A click at (x, y) `after` ms after the previous one. */
const at = (target: FakeElement, x = 100, y = 100, after = 0) => {
  clock += after;
  vi.advanceTimersByTime(after);
  click({ target, clientX: x, clientY: y });
};
/** Lets every pending action's second pass. */
const settle = () => {
  clock += 2000;
  vi.advanceTimersByTime(2000);
};

describe("dead clicks", () => {
  it("a click on plain text inside a landmark or structure role is neither dead nor named by the landmark", () => {
    for (const role of ["main", "navigation", "region", "list", "dialog", "banner", "article"]) {
      const text = el("p", {}, "Some long paragraph of page text");
      el("div", { role }, "Heading of the landmark").add(text);
      at(text, 100, 100, 5000);
    }
    settle();
    expect(sent).toHaveLength(7);
    for (const a of sent) expect(a).toMatchObject({ target: "p", selector: "div > p", dead: false });
  });

  it("a click on an element with a widget role that does nothing is dead, named by its text", () => {
    for (const role of ["button", "link", "checkbox", "menuitem", "menuitemcheckbox", "tab", "switch", "option", "radio"]) {
      const label = el("span", {}, `Do ${role}`);
      const widget = el("div", { role }).add(label);
      el("div", { role: "main" }).add(widget);
      at(label, 100, 100, 5000);
    }
    settle();
    expect(sent.map((a) => [a.target, a.dead])).toEqual(
      ["button", "link", "checkbox", "menuitem", "menuitemcheckbox", "tab", "switch", "option", "radio"].map((r) => [`Do ${r}`, true]),
    );
  });

  it("a DOM change, navigation or request within a second makes it live", () => {
    const b = el("button", {}, "Save");
    at(b);
    clock += 500;
    mutations!();
    at(b, 100, 100, 2000); // a new action (the window of the first one is over)
    for (const fn of listeners.reaction) fn();
    settle();
    expect(sent.map((a) => a.dead)).toEqual([false, false]);
  });

  it("form fields and editable elements are never dead; an error makes an error click", () => {
    at(el("input", { type: "text" }));
    at(el("label", {}, "Name"), 500, 500, 10);
    const editable = el("div", { role: "button" }, "Edit me");
    editable.isContentEditable = true;
    at(editable, 900, 900, 10);
    at(el("a", {}, "Broken"), 100, 500, 10);
    for (const fn of listeners.error) fn();
    settle();
    expect(sent.map((a) => [a.target, a.dead, a.error])).toEqual([
      ["input", false, false],
      ["Name", false, false],
      ["Edit me", false, false],
      ["Broken", true, true],
    ]);
  });

  it("an exception in the mutation callback never reaches the page", () => {
    at(el("button", {}, "Go"));
    const original = FakeMutationObserver.prototype.disconnect;
    FakeMutationObserver.prototype.disconnect = () => {
      throw new Error("boom");
    };
    try {
      expect(() => mutations!()).not.toThrow();
    } finally {
      FakeMutationObserver.prototype.disconnect = original;
    }
  });
});

describe("rage clicks", () => {
  it("three or more clicks within a second on the same spot are one rage action with their count", () => {
    const b = el("button", {}, "Pay");
    at(b, 100, 100);
    at(b, 104, 98, 300);
    at(b, 101, 103, 300);
    at(b, 99, 100, 300);
    settle();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ target: "Pay", rage: true, count: 4 });
  });

  it("two clicks are not rage", () => {
    const b = el("button", {}, "Pay");
    at(b);
    at(b, 100, 100, 100);
    settle();
    expect(sent.map((a) => [a.count, a.rage])).toEqual([[2, false]]);
  });

  it("clicks spread over more than a second, far apart, or on another element are separate actions", () => {
    const b = el("button", {}, "Pay");
    at(b, 10, 10);
    at(b, 10, 10, 600);
    at(b, 10, 10, 600); // 1.2 s after the first: a new action
    at(b, 10 + RAGE_RADIUS + 1, 10, 50); // too far from the last click
    at(el("button", {}, "Other"), 10 + RAGE_RADIUS + 1, 10, 50); // another element, same spot
    settle();
    expect(sent.map((a) => [a.target, a.count, a.rage])).toEqual([
      ["Pay", 2, false],
      ["Pay", 1, false],
      ["Pay", 1, false],
      ["Other", 1, false],
    ]);
  });
});
