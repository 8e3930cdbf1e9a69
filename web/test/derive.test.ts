import { describe as suite, expect, it } from "vitest";

import { bucketMinutes, countryName, describe, groupLabel, releaseMarkers, snippet, totalsByReason, worstRating } from "../src/derive";

suite("what pages derive from answers", () => {
  it("marks releases that start inside the data, not those already there", () => {
    const points = (times: string[]) => times.map((time) => ({ time, values: [1], count: 1, samples: 1 }));
    const markers = releaseMarkers({
      statistics: ["count"],
      series: [
        { group: "2.3.2", points: points(["2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z"]) },
        { group: "2.4.0", points: points(["2026-01-01T01:00:00Z"]) },
        { other: true, points: points(["2026-01-01T02:00:00Z"]) },
        { group: "empty", points: [] },
      ],
    });
    expect(markers).toEqual([{ time: Date.parse("2026-01-01T01:00:00Z"), label: "release 2.4.0" }]);
  });

  it("takes the worst rating of a route's vitals", () => {
    expect(worstRating([["lcp", 2000], ["inp", 300], ["cls", 0.01]])).toBe("needs_improvement");
    expect(worstRating([["lcp", 5000], ["inp", 300]])).toBe("poor");
    expect(worstRating([["lcp", null]])).toBeUndefined();
  });

  it("adds outcomes up by reason, largest first", () => {
    expect(
      totalsByReason([
        { dropped: { "dropped: bot": 2, "trimmed: pii_scrubbed": 1 } },
        { dropped: { "dropped: bot": 3, "rejected: forbidden": 5 } },
      ]),
    ).toEqual([
      ["dropped: bot", 5],
      ["rejected: forbidden", 5],
      ["trimmed: pii_scrubbed", 1],
    ]);
  });

  it("keeps outcome buckets under ~360 and within the server's 1 to 1 440 minutes", () => {
    expect(bucketMinutes(3_600_000)).toBe(1);
    expect(bucketMinutes(24 * 3_600_000)).toBe(4);
    expect(bucketMinutes(400 * 86_400_000)).toBe(1440);
  });

  it("labels groups and countries", () => {
    expect(groupLabel({ group: [null], values: [], count: 0, samples: 0 })).toBe("(none)");
    expect(groupLabel({ group: [null], other: true, values: [], count: 0, samples: 0 })).toBe("(other)");
    expect(countryName("US")).toBe("United States (US)");
    expect(countryName("<b>")).toBe("<b>");
  });

  it("describes timeline events in words", () => {
    const base = { time: "", view_id: "v", event_id: "1", route: "/" };
    expect(describe({ ...base, kind: "vital", name: "lcp", value: 2412.6 })).toBe("LCP 2.41 s");
    expect(describe({ ...base, kind: "request", method: "GET", status: 503, duration: 2188 })).toBe("GET 503 in 2.19 s");
    expect(describe({ ...base, kind: "request", method: "GET", status: null, failure: "network", duration: 30 })).toBe("GET network in 30 ms");
    expect(describe({ ...base, kind: "error", error_type: "TypeError", message: "x", count: 3 })).toBe("TypeError: x (×3)");
    expect(describe({ ...base, kind: "action", action_type: "click", target: "Buy", rage: true, dead: false, error: true })).toBe(
      "click · Buy · rage · followed by an error",
    );
  });

  it("writes the snippet with the key and the server's agent as JSON strings", () => {
    const text = snippet("https://rum.example.com", 'pk_"</script>');
    expect(text).toContain('"https://rum.example.com/agent.js"');
    expect(text).toContain('projectKey: "pk_\\"\\u003c/script>"');
    expect(text.match(/<\/script>/g)).toHaveLength(1);
  });
});
