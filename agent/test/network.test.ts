// The XMLHttpRequest instrumentation through network(), with a stand-in XMLHttpRequest that
// fires the events a browser fires. A page may reuse one XHR object for many requests.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Core } from "../src/agent";
import { resolveConfig } from "../src/config";
import { network } from "../src/instr/network";
import type { EventBody, RequestEventBody } from "../src/protocol.gen";

class FakeXHR extends EventTarget {
  status = 0;
  readyState = 0;
  headers: Record<string, string> = {};
  open(_method: string, _url: string) {
    this.status = 0;
    this.readyState = 1;
  }
  send(_body?: unknown) {}
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  getResponseHeader(_k: string) {
    return null;
  }
  /** The browser's events at the end of a request: `failure` first (abort, error, timeout), then loadend. */
  finish(status: number, failure?: string) {
    this.status = status;
    this.readyState = 4;
    if (failure) this.dispatchEvent(new Event(failure));
    this.dispatchEvent(new Event("loadend"));
  }
}

type Listen = (event: string, fn: (e: unknown) => void) => void;

let sent: RequestEventBody[];

beforeEach(() => {
  sent = [];
  vi.stubGlobal("window", { fetch: () => Promise.resolve(new Response()), XMLHttpRequest: FakeXHR });
  vi.stubGlobal("location", { href: "https://shop.test/page" });
  const cfg = resolveConfig({ projectKey: "pk_1" }, "https://rum.test", "https://shop.test")!;
  const core = {
    cfg,
    scrub: (u: string) => u,
    signal() {},
    emit: (b: EventBody) => (b.kind === "request" && sent.push(b), undefined),
  } as unknown as Core;
  network(core);
});

afterEach(() => vi.unstubAllGlobals());

describe("XMLHttpRequest", () => {
  it("reports each request of a reused XHR once, with its own method, URL and outcome", () => {
    const x = new FakeXHR();
    x.open("GET", "/a");
    x.send();
    x.finish(200);
    x.open("POST", "/b");
    x.send("hello");
    x.finish(0, "abort");
    x.open("get", "https://api.test/c");
    x.send();
    x.finish(0, "timeout");
    x.open("GET", "/d");
    x.send();
    x.finish(404);
    expect(sent.map((r) => [r.method, r.url, r.status, r.failure, r.request_size])).toEqual([
      ["GET", "https://shop.test/a", 200, undefined, undefined],
      ["POST", "https://shop.test/b", undefined, "aborted", 5],
      ["GET", "https://api.test/c", undefined, "timeout", undefined],
      ["GET", "https://shop.test/d", 404, undefined, undefined],
    ]);
    // Each request's own start: later requests start later or at the same time.
    const starts = sent.map((r) => r.start!);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
  });

  it("reports a request whose loadend handler of the page reuses the XHR before the agent's listener runs", () => {
    const x = new FakeXHR();
    const queue = ["/b", "/c"];
    // The page's handler was added first, so it runs first, and opens the next request at once.
    x.addEventListener("loadend", () => {
      const next = queue.shift();
      if (!next) return;
      x.open("GET", next);
      x.send();
    });
    x.open("GET", "/a");
    x.send();
    x.finish(200);
    x.finish(404);
    x.finish(0, "error");
    expect(sent.map((r) => [r.url, r.status, r.failure])).toEqual([
      ["https://shop.test/a", 200, undefined],
      ["https://shop.test/b", 404, undefined],
      ["https://shop.test/c", undefined, "network"],
    ]);
  });

  it("reports only the new request when open() replaces one in flight", () => {
    const x = new FakeXHR();
    x.open("GET", "/old");
    x.send();
    x.open("GET", "/new"); // the browser drops /old without events
    x.send();
    x.finish(200);
    expect(sent.map((r) => r.url)).toEqual(["https://shop.test/new"]);
  });

  it("adds a traceparent for allowed origins only, a new one per request", () => {
    const x = new FakeXHR();
    x.open("GET", "/same-origin");
    x.send();
    const first = x.headers.traceparent;
    x.finish(200);
    x.open("GET", "/again");
    x.send();
    x.finish(200);
    expect(first).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(x.headers.traceparent).not.toBe(first);
    expect(sent.map((r) => r.trace_id)).toEqual([first!.split("-")[1], x.headers.traceparent!.split("-")[1]]);
    const y = new FakeXHR();
    y.open("GET", "https://other.test/x");
    y.send();
    y.finish(200);
    expect(y.headers.traceparent).toBeUndefined();
    expect(sent[2]!.trace_id).toBeUndefined();
  });

  it("never lets an exception of the agent's listener reach the page", async () => {
    const x = new FakeXHR();
    x.open("GET", "/a");
    x.send();
    x.getResponseHeader = () => {
      throw new Error("boom");
    };
    // Node's EventTarget reports a listener's exception as uncaught on the next tick.
    const errors: unknown[] = [];
    const catcher = (e: unknown) => errors.push(e);
    const process = (globalThis as unknown as { process: { prependListener: Listen; off: Listen } }).process;
    process.prependListener("uncaughtException", catcher);
    x.finish(200);
    await new Promise((done) => setTimeout(done, 10));
    process.off("uncaughtException", catcher);
    expect(errors).toEqual([]);
  });
});
