// View and event ids through the real agent core, with just enough of a browser stubbed:
// pages of one session share a sessionStorage (or a cookie jar), as the tabs and page loads
// of a real session do.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createAgent, type Agent } from "../src/agent";
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

describe("view ids", () => {
  it("are the session id and the view's number in the session", () => {
    const a = page();
    const session = a.sessionId();
    expect(a.view().id).toBe(session + ".0");
    for (let n = 1; n <= 11; n++) a.startView("route_change");
    expect(a.view().id).toBe(session + ".11");
    expect(a.view().id.length).toBeLessThanOrEqual(64);
  });

  it("go on across the page loads of a session and restart with a new session", () => {
    const first = page();
    first.startView("route_change");
    const second = page();
    expect(second.sessionId()).toBe(first.sessionId());
    expect(second.view().id).toBe(first.sessionId() + ".2");

    storage.clear();
    const fresh = page();
    expect(fresh.sessionId()).not.toBe(first.sessionId());
    expect(fresh.view().id).toBe(fresh.sessionId() + ".0");
  });

  it("never repeat when another page of the session counted meanwhile (bfcache, tabs)", () => {
    const a = page();
    const b = page();
    b.startView("route_change");
    custom(b); // activity saves the count even between flushes
    // `a` is back (restored from the bfcache, or the user returns to its tab).
    const restored = a.startView("back_forward_cache");
    expect(restored.id).toBe(a.sessionId() + ".3");
    // …and `a`'s later saves do not take the stored count back.
    custom(a);
    vi.advanceTimersByTime(6000);
    custom(a);
    expect(page().view().id).toBe(a.sessionId() + ".4");
  });

  it("go on from a session an older agent stored (random view ids, no count)", () => {
    const id = "0123456789abcdef0123456789abcdef";
    storage.set("sl_s", JSON.stringify([id, Date.now() - 1000, Date.now() - 500, "sampled"]));
    expect(page().view().id).toBe(id + ".0");
  });

  it("are counted with cookie storage too", () => {
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
    const a = page("cookie");
    expect(page("cookie").view().id).toBe(a.sessionId() + ".1");
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
