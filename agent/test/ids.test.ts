// View and event ids through the real agent core, with just enough of a browser stubbed:
// pages of one session share a sessionStorage (or a cookie jar), as the tabs and page loads
// of a real session do.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createAgent, type Agent, type View } from "../src/agent";
import { resolveConfig } from "../src/config";
import type { StorageMode } from "../src/session";

let storage: Map<string, string>;

beforeEach(() => {
  vi.useFakeTimers();
  storage = new Map();
  const listen = { addEventListener() {} };
  vi.stubGlobal("window", { ...listen, fetch: () => Promise.resolve(new Response()) });
  vi.stubGlobal("document", { ...listen, referrer: "", cookie: "", visibilityState: "visible" });
  vi.stubGlobal("location", { href: "https://shop.test/", origin: "https://shop.test", protocol: "https:" });
  vi.stubGlobal("navigator", {});
  vi.stubGlobal("innerWidth", 1000);
  vi.stubGlobal("innerHeight", 700);
  vi.stubGlobal("sessionStorage", {
    getItem: (k: string) => storage.get(k) ?? null,
    setItem: (k: string, v: string) => storage.set(k, v),
    removeItem: (k: string) => storage.delete(k),
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

/** A page load of the session: a new agent over the same storage. */
const page = (storageMode: StorageMode = "session"): Agent =>
  createAgent(resolveConfig({ projectKey: "pk_1", storage: storageMode }, "https://rum.test", "https://shop.test")!, "navigate");

const custom = (a: Agent, view = a.view()) => a.emit({ kind: "custom", name: "x" }, undefined, view)!.id;

const ID = /^([0-9a-f]{32})\.([0-9a-f]{10})\.(\d+)$/;

describe("view ids", () => {
  it("are the session id, the page's random id and the view's number in the page", () => {
    const a = page();
    const [, session, pageId, n] = ID.exec(a.view().id)!;
    expect(session).toBe(a.sessionId());
    expect(n).toBe("0");
    for (let i = 1; i <= 11; i++) a.startView("route_change");
    expect(a.view().id).toBe(`${session}.${pageId}.11`);
    expect(a.view().id.length).toBeLessThanOrEqual(64);
  });

  it("differ between pages of a session that share its storage: page loads, a duplicated tab", () => {
    const first = page();
    const stored = storage.get("sl_s")!;
    first.startView("route_change");
    custom(first);
    vi.advanceTimersByTime(6000);
    custom(first); // saved again: the stored copy moved on
    // A duplicated tab starts with a copy of sessionStorage as it was when duplicated.
    storage.set("sl_s", stored);
    const dup = page();
    expect(dup.sessionId()).toBe(first.sessionId());
    const ids = new Set([first.view().id, dup.view().id]);
    for (const p of [first, dup, page()]) ids.add(p.startView("route_change").id);
    expect(ids.size).toBe(5);
    for (const id of ids) expect(id).toMatch(ID);

    storage.clear();
    const fresh = page();
    expect(fresh.sessionId()).not.toBe(first.sessionId());
    expect(fresh.view().id).toMatch(new RegExp(`^${fresh.sessionId()}\\.[0-9a-f]{10}\\.0$`));
  });

  it("go on with a session an older agent stored (with its view count)", () => {
    const id = "0123456789abcdef0123456789abcdef";
    storage.set("sl_s", JSON.stringify([id, Date.now() - 1000, Date.now() - 500, "sampled", 4]));
    expect(page().view().id).toMatch(new RegExp(`^${id}\\.[0-9a-f]{10}\\.0$`));
  });

  it("differ between tabs opened at once with cookie storage", () => {
    let jar = "";
    vi.stubGlobal("document", {
      addEventListener() {},
      referrer: "",
      visibilityState: "visible",
      get cookie() {
        return jar;
      },
      set cookie(c: string) {
        jar = c.split(";")[0]!;
      },
    });
    page("cookie"); // the session's first page
    const before = jar;
    const a = page("cookie");
    jar = before; // the second tab read the cookie before the first one wrote it
    const b = page("cookie");
    expect(b.sessionId()).toBe(a.sessionId());
    expect(b.view().id).not.toBe(a.view().id);
    expect(b.startView("route_change").id).not.toBe(a.startView("route_change").id);
  });
});

describe("session rollover", () => {
  it("starts a new view of the same page; the old view ends and leaves with the old session", () => {
    const sent: Array<{ context: { session_id: string; view_id: string }; events: Array<{ name?: string; view_id?: string }> }> = [];
    vi.stubGlobal("window", {
      addEventListener() {},
      fetch: (_u: string, init: RequestInit) => (sent.push(JSON.parse(init.body as string)), Promise.resolve(new Response())),
    });
    const a = page();
    const oldSession = a.sessionId();
    const oldView = a.view();
    const started: View[] = [];
    a.onStart((v) => started.push(v));
    a.onEnd((v, final) => final && a.emit({ kind: "custom", name: "final" }, undefined, v));
    custom(a);
    vi.advanceTimersByTime(31 * 60_000); // idle: the queue left after 5 s
    expect(sent).toHaveLength(1);

    const e = a.emit({ kind: "custom", name: "after" })!;
    expect(a.sessionId()).not.toBe(oldSession);
    const view = a.view();
    expect(started).toEqual([view]);
    expect(view).toMatchObject({ nav: "route_change", url: oldView.url, n: 1 });
    expect(view.id.startsWith(a.sessionId() + ".")).toBe(true);
    expect(e.view_id).toBe(view.id);
    expect(e.id).toBe("0");
    // The old view's last events were flushed before the switch, with the old context.
    expect(sent).toHaveLength(2);
    expect(sent[1]!.context).toMatchObject({ session_id: oldSession, view_id: oldView.id });
    expect(sent[1]!.events.map((x) => x.name)).toEqual(["final"]);
    a.flush();
    expect(sent[2]!.context).toMatchObject({ session_id: a.sessionId(), view_id: view.id });
    expect(sent[2]!.events.map((x) => x.name)).toEqual(["after"]);
  });

  it("also after 4 hours of activity", () => {
    const a = page();
    const s = a.sessionId();
    for (let i = 0; i < 4 * 12; i++) {
      vi.advanceTimersByTime(5 * 60_000);
      custom(a);
    }
    expect(a.sessionId()).not.toBe(s);
    expect(a.view().n).toBe(1);
  });
});

describe("event ids", () => {
  it("count within their view, and restart with each view", () => {
    const a = page();
    const first = a.view();
    expect([custom(a), custom(a)]).toEqual(["0", "1"]);
    a.startView("route_change"); // a `view` event is not emitted without the views instrumentation
    expect([custom(a), custom(a)]).toEqual(["0", "1"]);
    // Late events of the previous view (its final vitals) go on with its own count.
    expect(custom(a, first)).toBe("2");
  });
});
