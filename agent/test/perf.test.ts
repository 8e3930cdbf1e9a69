// The resource events of a view through perf(), with the browser's resource timing buffer
// stubbed: which resources are sent, and their third_party flag.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Core, View } from "../src/agent";
import { resolveConfig } from "../src/config";
import { perf } from "../src/instr/perf";
import type { EventBody, ResourceEventBody } from "../src/protocol.gen";

const res = (name: string, duration: number, blocking = false) => ({
  name,
  entryType: "resource",
  initiatorType: "script",
  startTime: 10,
  duration,
  responseEnd: 10 + duration,
  transferSize: 100,
  renderBlockingStatus: blocking ? "blocking" : "non-blocking",
});

let entries: ReturnType<typeof res>[];
let sent: ResourceEventBody[];
let ends: ((v: View, final: boolean) => void)[];

beforeEach(() => {
  entries = [];
  sent = [];
  ends = [];
  const listen = { addEventListener() {} };
  vi.stubGlobal("window", listen);
  vi.stubGlobal("document", { ...listen, visibilityState: "visible", documentElement: { scrollHeight: 1000 } });
  vi.stubGlobal("location", { hostname: "www.shop.test", host: "www.shop.test" });
  vi.stubGlobal("scrollY", 0);
  vi.stubGlobal("innerHeight", 500);
  vi.stubGlobal("performance", { ...listen, now: () => 1000, getEntriesByType: () => entries });
  const core = {
    cfg: resolveConfig({ projectKey: "pk_1" }, "https://rum.test", "https://www.shop.test")!,
    scrub: (u: string) => u,
    emit: (b: EventBody) => (b.kind === "resource" && sent.push(b), undefined),
    onStart() {},
    onEnd: (fn: (v: View, final: boolean) => void) => ends.push(fn),
  } as unknown as Core;
  perf(core);
});

afterEach(() => vi.unstubAllGlobals());

describe("resource events", () => {
  it("flag every third-party resource as such, not only the slowest of its host", () => {
    entries = [
      res("https://cdn.ads.test/a.js", 900), // slowest of its host
      res("https://cdn.ads.test/b.js", 800), // also among the 5 slowest
      res("https://cdn.ads.test/c.css", 5, true), // render-blocking
      res("https://www.shop.test/app.js", 700),
      res("https://static.shop.test/img.png", 600), // the page's own site
      res("https://www.shop.test/style.css", 4, true),
      res("https://www.shop.test/tiny.js", 1),
    ];
    ends[0]!({ id: "v", url: "https://www.shop.test/", start: 0, nav: "navigate", n: 0, e: 0 }, true);
    expect(Object.fromEntries(sent.map((r) => [r.url, r.third_party]))).toEqual({
      "https://cdn.ads.test/a.js": true,
      "https://cdn.ads.test/b.js": true,
      "https://cdn.ads.test/c.css": true,
      "https://www.shop.test/app.js": false,
      "https://static.shop.test/img.png": false,
      "https://www.shop.test/style.css": false,
    });
  });
});
