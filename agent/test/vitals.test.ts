import { describe, expect, it } from "vitest";
import { addEntry, cls, fcpOf, inp, inpParts, lcpOf, rate, scriptsOf, ttfbOf, type Interaction } from "../src/vitals";

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
  const i = (id: number, duration: number): Interaction => ({ id, duration, start: 0, processingStart: 0, processingEnd: 0, type: "pointer" });

  it("is the worst interaction below 50 interactions", () => {
    expect(inp([i(1, 40), i(2, 320), i(3, 96)])?.duration).toBe(320);
  });

  it("drops one worst interaction per 50 (98th percentile)", () => {
    const many = Array.from({ length: 120 }, (_, k) => i(k, k));
    expect(inp(many)?.duration).toBe(117);
    // Short interactions the browser did not report still count.
    expect(inp([i(1, 300), i(2, 200), i(3, 100)], 60)?.duration).toBe(200);
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

describe("page-load vitals (web-vitals' definitions and attribution)", () => {
  const nav = { responseStart: 262.5, fetchStart: 5, domainLookupStart: 10, connectStart: 30, connectEnd: 80 };

  it("LCP: sub-parts that add up to the value, the resource URL scrubbed", () => {
    const lcp = lcpOf(
      { time: 2412.63, url: "https://cdn.example.com/hero.avif?sig=secret", element: "main > img.hero" },
      nav,
      { startTime: 560, requestStart: 572.7, responseEnd: 1979.5 },
      scrub,
    );
    expect(lcp).toEqual({
      kind: "vital",
      name: "lcp",
      value: 2412.6,
      rating: "good",
      attribution: {
        element: "main > img.hero",
        resource_url: "https://cdn.example.com/hero.avif",
        time_to_first_byte: 262.5,
        resource_load_delay: 310.2,
        resource_load_duration: 1406.8,
        element_render_delay: 433.1,
      },
    });
  });

  it("LCP of text (no resource): all of it after the first byte is render delay", () => {
    const a = lcpOf({ time: 900, element: "h1" }, nav, undefined, scrub).attribution!;
    expect(a).toMatchObject({ time_to_first_byte: 262.5, resource_load_delay: 0, resource_load_duration: 0, element_render_delay: 637.5 });
    expect(a.resource_url).toBeUndefined();
  });

  it("LCP: a resource that finished after the paint (or started before the first byte) is clamped", () => {
    const a = lcpOf({ time: 1000, url: "https://a.example/x.png" }, nav, { startTime: 100, responseEnd: 1200 }, scrub).attribution!;
    expect(a).toMatchObject({ time_to_first_byte: 262.5, resource_load_delay: 0, resource_load_duration: 737.5, element_render_delay: 0 });
  });

  it("times count from a prerendered page's activation", () => {
    const prerendered = { ...nav, activationStart: 200 };
    expect(lcpOf({ time: 1200 }, prerendered, undefined, scrub).value).toBe(1000);
    expect(fcpOf(150, prerendered).value).toBe(0);
    expect(ttfbOf(prerendered).value).toBe(62.5);
  });

  it("TTFB: waiting, cache, DNS, connection and request phases", () => {
    const t = ttfbOf({ ...nav, responseStart: 900 });
    expect(t.value).toBe(900);
    expect(t.rating).toBe("needs_improvement");
    expect(t.attribution).toEqual({ waiting_duration: 5, cache_duration: 5, dns_duration: 20, connection_duration: 50, request_duration: 820 });
  });

  it("FCP: time to first byte, then first byte to FCP", () => {
    const f = fcpOf(1000.04, nav);
    expect(f).toMatchObject({ name: "fcp", value: 1000, rating: "good" });
    expect(f.attribution).toEqual({ time_to_first_byte: 262.5, first_byte_to_fcp: 737.5 });
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
