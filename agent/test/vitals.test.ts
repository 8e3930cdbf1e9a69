import { describe, expect, it } from "vitest";
import type { MetricWithAttribution } from "web-vitals/attribution";
import { addEntry, cls, fromWebVitals, inp, inpParts, rate, scriptsOf, type Interaction } from "../src/vitals";

const scrub = (u: string) => u.split("?")[0]!;

describe("ratings", () => {
  it("use the Core Web Vitals thresholds, inclusive of good", () => {
    expect(rate("lcp", 2500)).toBe("good");
    expect(rate("lcp", 2501)).toBe("needs_improvement");
    expect(rate("lcp", 4001)).toBe("poor");
    expect(rate("cls", 0.1)).toBe("good");
    expect(rate("cls", 0.25)).toBe("needs_improvement");
    expect(rate("inp", 500.1)).toBe("poor");
  });
});

describe("CLS per view", () => {
  it("is the largest session window, not the sum of all shifts", () => {
    // Window 1: 0.1 + 0.05; gap > 1 s; window 2: 0.08 + 0.09 + 0.02.
    const shifts = [
      { value: 0.1, time: 100, target: "#a" },
      { value: 0.05, time: 600 },
      { value: 0.08, time: 3000 },
      { value: 0.09, time: 3500, target: "#b" },
      { value: 0.02, time: 4000 },
    ];
    const c = cls(shifts);
    expect(c.value).toBeCloseTo(0.19);
    expect(c.largest?.target).toBe("#a");
  });

  it("windows end after 5 s even without gaps", () => {
    const shifts = Array.from({ length: 12 }, (_, i) => ({ value: 0.01, time: i * 900 }));
    expect(cls(shifts).value).toBeCloseTo(0.06);
  });

  it("is 0 without shifts", () => {
    expect(cls([])).toEqual({ value: 0 });
  });
});

describe("INP per view", () => {
  const i = (duration: number): Interaction => ({ duration, start: 0, processingStart: 0, processingEnd: 0, type: "pointer" });

  it("is the worst interaction below 50 interactions", () => {
    expect(inp([i(40), i(320), i(96)])?.duration).toBe(320);
  });

  it("drops one worst interaction per 50 (98th percentile)", () => {
    const many = Array.from({ length: 120 }, (_, k) => i(k));
    expect(inp(many)?.duration).toBe(117);
    // Short interactions the browser did not report still count.
    expect(inp([i(300), i(200), i(100)], 60)?.duration).toBe(200);
  });

  it("is absent without interactions", () => {
    expect(inp([])).toBeUndefined();
  });

  it("merges the entries of one interaction and splits it into sub-parts", () => {
    const map = new Map<number, Interaction>();
    addEntry(map, { interactionId: 7, name: "pointerdown", startTime: 1000, duration: 48, processingStart: 1010, processingEnd: 1015 }, "#buy");
    addEntry(map, { interactionId: 7, name: "click", startTime: 1002, duration: 120, processingStart: 1030, processingEnd: 1080 });
    addEntry(map, { interactionId: 8, name: "keydown", startTime: 2000, duration: 56, processingStart: 2001, processingEnd: 2002 });
    const worst = inp([...map.values()])!;
    expect(worst.duration).toBe(120);
    expect(inpParts(worst)).toEqual({
      interaction_target: "#buy",
      interaction_type: "pointer",
      interaction_time: 1000,
      input_delay: 10,
      processing_duration: 70,
      presentation_delay: 40,
    });
    expect(map.get(8)!.type).toBe("keyboard");
  });
});

describe("web-vitals mapping", () => {
  it("maps LCP attribution to the wire names, scrubbing the resource URL", () => {
    const m = {
      name: "LCP",
      value: 2412.63,
      navigationType: "navigate",
      attribution: {
        target: "main>img.hero",
        url: "https://cdn.example.com/hero.avif?sig=secret",
        timeToFirstByte: 262.54,
        resourceLoadDelay: 310.2,
        resourceLoadDuration: 1406.8,
        elementRenderDelay: 433.1,
      },
    } as unknown as MetricWithAttribution;
    expect(fromWebVitals(m, scrub)).toEqual({
      kind: "vital",
      name: "lcp",
      value: 2412.6,
      rating: "good",
      attribution: {
        element: "main>img.hero",
        resource_url: "https://cdn.example.com/hero.avif",
        time_to_first_byte: 262.5,
        resource_load_delay: 310.2,
        resource_load_duration: 1406.8,
        element_render_delay: 433.1,
      },
    });
  });

  it("keeps web-vitals' selectors as they are, and leaves out empty fields", () => {
    // web-vitals' spelling: an id stops the walk up, classes sorted, no spaces.
    const m = { name: "LCP", value: 800, attribution: { target: "#hero", url: "", timeToFirstByte: 100 } } as never;
    expect(fromWebVitals(m, scrub).attribution).toEqual({ element: "#hero", time_to_first_byte: 100 });
  });

  it("maps TTFB phases and FCP", () => {
    const ttfb = fromWebVitals(
      { name: "TTFB", value: 900, attribution: { waitingDuration: 1, cacheDuration: 2, dnsDuration: 3, connectionDuration: 4, requestDuration: 5 } } as never,
      scrub,
    );
    expect(ttfb.attribution).toEqual({ waiting_duration: 1, cache_duration: 2, dns_duration: 3, connection_duration: 4, request_duration: 5 });
    expect(ttfb.rating).toBe("needs_improvement");
    const fcp = fromWebVitals({ name: "FCP", value: 1000.04, attribution: { timeToFirstByte: 200, firstByteToFCP: 800.04, loadState: "loading" } } as never, scrub);
    expect(fcp).toMatchObject({ name: "fcp", value: 1000, rating: "good" });
    expect(fcp.attribution).toEqual({ time_to_first_byte: 200, first_byte_to_fcp: 800 });
  });
});

describe("long animation frame scripts", () => {
  it("are the ten longest, longest first, URLs scrubbed", () => {
    const frames = [
      { scripts: Array.from({ length: 8 }, (_, k) => ({ duration: k, sourceURL: "https://a.example/a.js?v=" + k })) },
      { scripts: Array.from({ length: 8 }, (_, k) => ({ duration: 100 + k, invoker: "BUTTON#buy.onclick", invokerType: "event-listener" })) },
    ];
    const s = scriptsOf(frames, scrub);
    expect(s).toHaveLength(10);
    expect(s[0]).toMatchObject({ duration: 107, invoker: "BUTTON#buy.onclick", invoker_type: "event-listener" });
    expect(s[9]).toMatchObject({ duration: 6, source_url: "https://a.example/a.js" });
  });
});
