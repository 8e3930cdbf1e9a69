import { describe, expect, it } from "vitest";
import { addResource, emptySummary, notable, type ResourceLike } from "../src/resources";
import { NAV_PHASES, phases, RESOURCE_PHASES } from "../src/timing";

const res = (name: string, duration: number, extra: Partial<ResourceLike> = {}): ResourceLike => ({
  name,
  initiatorType: "img",
  startTime: 0,
  duration,
  transferSize: 1000,
  ...extra,
});

describe("resource summary", () => {
  it("keeps totals of everything but only the notable entries, each once", () => {
    const s = emptySummary();
    for (let i = 0; i < 500; i++) addResource(s, res("https://a.example/" + i, i % 97), "");
    const css = res("https://a.example/site.css", 20, { renderBlockingStatus: "blocking" });
    addResource(s, css, "");
    const ad = res("https://ads.tracker.net/pixel", 300);
    addResource(s, ad, "ads.tracker.net");
    addResource(s, res("https://ads.tracker.net/fast", 10), "ads.tracker.net");
    expect(s.count).toBe(503);
    expect(s.bytes).toBe(503_000);
    const picked = notable(s);
    expect(picked.length).toBeLessThanOrEqual(15);
    expect(picked[0]).toBe(ad);
    expect(picked).toContain(css);
    expect(new Set(picked).size).toBe(picked.length);
    expect(picked.map((r) => r.duration).slice(1, 5)).toEqual([96, 96, 96, 96]);
    expect(s.thirdParty.get("ads.tracker.net")).toBe(ad);
  });

  it("remembers at most ten third-party hosts", () => {
    const s = emptySummary();
    for (let i = 0; i < 50; i++) addResource(s, res("https://h" + i + ".example/x", 1), "h" + i + ".example");
    expect(s.thirdParty.size).toBe(10);
  });
});

describe("timing phases", () => {
  const nav = {
    redirectStart: 0,
    redirectEnd: 0,
    domainLookupStart: 10,
    domainLookupEnd: 22.44,
    connectStart: 22.44,
    connectEnd: 63.6,
    secureConnectionStart: 35.7,
    requestStart: 64,
    responseStart: 262.5,
    responseEnd: 300.6,
    domInteractive: 1210.4,
    domContentLoadedEventEnd: 1296.8,
    loadEventEnd: 0,
  };

  it("derive navigation durations and milestones", () => {
    expect(phases(nav, NAV_PHASES)).toEqual({
      redirect: undefined,
      dns: 12.4,
      connect: 41.2,
      tls: 27.9,
      request: 198.5,
      ttfb: 262.5,
      response: 38.1,
      dom_interactive: 1210.4,
      dom_content_loaded: 1296.8,
      load: undefined,
    });
  });

  it("derive resource phases, leaving out what cross-origin entries hide", () => {
    const hidden = { ...nav, domainLookupStart: 0, domainLookupEnd: 0, connectStart: 0, connectEnd: 0, secureConnectionStart: 0, requestStart: 0 };
    expect(phases(hidden, RESOURCE_PHASES)).toEqual({ dns: undefined, connect: undefined, tls: undefined, ttfb: undefined, download: 38.1 });
  });
});
