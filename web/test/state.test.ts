import { describe, expect, it } from "vitest";

import {
  type ViewState,
  apiFilters,
  bucketFor,
  formatFilter,
  parseFilter,
  parseLocation,
  previousRange,
  resolveRange,
  toUrl,
  withFilter,
  withoutFilter,
} from "../src/state";

const base: ViewState = { page: "overview", range: "24h", filters: [], params: {} };

describe("filters as text", () => {
  it("writes and reads every operator", () => {
    const cases = [
      { dim: "country", op: "eq", values: ["US"] },
      { dim: "country", op: "ne", values: ["US"] },
      { dim: "browser", op: "in", values: ["Chrome", "Firefox"] },
      { dim: "browser", op: "not_in", values: ["Chrome", "Edge"] },
      { dim: "route", op: "prefix", values: ["/products"] },
    ] as const;
    expect(cases.map((f) => formatFilter({ ...f, values: [...f.values] }))).toEqual([
      "country=US",
      "country!=US",
      "browser=Chrome|Firefox",
      "browser!=Chrome|Edge",
      "route^=/products",
    ]);
    for (const f of cases) expect(parseFilter(formatFilter({ ...f, values: [...f.values] }))).toEqual(f);
  });

  it("escapes the separators inside dimensions and values", () => {
    const hostile = { dim: "user_attribute:a=b", op: "in" as const, values: ["x|y", "a!=b", "c^=d\\", ""] };
    const text = formatFilter(hostile);
    expect(parseFilter(text)).toEqual(hostile);
  });

  it("refuses text without an operator or a dimension", () => {
    expect(parseFilter("country")).toBeUndefined();
    expect(parseFilter("=US")).toBeUndefined();
    expect(parseFilter("route^=a|b")).toBeUndefined();
  });
});

describe("URL ⇄ state", () => {
  it("round-trips a full state", () => {
    const state: ViewState = {
      page: "errors",
      detail: "a35822fc/09af?#",
      project: "shop",
      range: "7d",
      env: "production",
      release: "2.4.1",
      filters: [
        { dim: "country", op: "in", values: ["US", "DE"] },
        { dim: "route", op: "prefix", values: ["/products"] },
      ],
      params: { metric: "inp", by: "country" },
    };
    const url = new URL(toUrl(state), "http://x");
    expect(parseLocation(url.pathname, url.search)).toEqual(state);
  });

  it("keeps custom ranges as times", () => {
    const state: ViewState = { ...base, range: "custom", from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 2) };
    const url = new URL(toUrl(state), "http://x");
    expect(url.searchParams.get("from")).toBe("2026-01-01T00:00:00.000Z");
    expect(parseLocation(url.pathname, url.search)).toEqual(state);
  });

  it("leaves the defaults out of the URL", () => {
    expect(toUrl(base)).toBe("/overview");
  });

  it("falls back on unknown pages, ranges and broken filters", () => {
    const s = parseLocation("/nope/x", "?range=13y&f=garbage&from=2026-01-02&to=2026-01-01&metric=lcp");
    expect(s).toEqual({ ...base, params: { metric: "lcp" } });
  });

  it("survives broken percent-encoding", () => {
    expect(parseLocation("/sessions/%E0%A4%A", "").detail).toBe("%E0%A4%A");
  });

  it("turns the bar into the query model's filters", () => {
    const s: ViewState = {
      ...base,
      env: "prod",
      release: "1.2",
      filters: [
        { dim: "user_attribute:plan", op: "eq", values: ["pro"] },
        { dim: "country", op: "not_in", values: ["US", "DE"] },
      ],
    };
    expect(apiFilters(s)).toEqual([
      { dimension: "environment", op: "eq", value: "prod" },
      { dimension: "release", op: "eq", value: "1.2" },
      { dimension: { user_attribute: "plan" }, op: "eq", value: "pro" },
      { dimension: "country", op: "not_in", values: ["US", "DE"] },
    ]);
  });

  it("adds a row's filter in place of one on the same dimension", () => {
    const s = withFilter({ ...base, filters: [{ dim: "country", op: "eq", values: ["US"] }] }, { dim: "country", op: "eq", values: ["DE"] });
    expect(s.filters).toEqual([{ dim: "country", op: "eq", values: ["DE"] }]);
    expect(withFilter(base, { dim: "release", op: "eq", values: ["2"] }).release).toBe("2");
    expect(withoutFilter(s, 0).filters).toEqual([]);
  });
});

describe("ranges", () => {
  it("ends relative ranges at the next minute and goes back by their length", () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 30);
    const r = resolveRange({ ...base, range: "1h" }, now);
    expect(r).toEqual({ from: Date.UTC(2026, 0, 1, 11, 1), to: Date.UTC(2026, 0, 1, 12, 1) });
    expect(previousRange(r)).toEqual({ from: Date.UTC(2026, 0, 1, 10, 1), to: Date.UTC(2026, 0, 1, 11, 1) });
  });

  it("widens ranges from a day up to whole hours, which the server's rollups answer", () => {
    const now = Date.UTC(2026, 0, 8, 12, 20, 30);
    const day = resolveRange({ ...base, range: "24h" }, now);
    expect(day).toEqual({ from: Date.UTC(2026, 0, 7, 12), to: Date.UTC(2026, 0, 8, 13) });
    expect(previousRange(day)).toEqual({ from: Date.UTC(2026, 0, 6, 11), to: Date.UTC(2026, 0, 7, 12) });
    expect(resolveRange({ ...base, range: "7d" }, now)).toEqual({ from: Date.UTC(2026, 0, 1, 12), to: Date.UTC(2026, 0, 8, 13) });
    const onTheHour = Date.UTC(2026, 0, 8, 12);
    expect(resolveRange({ ...base, range: "24h" }, onTheHour)).toEqual({ from: Date.UTC(2026, 0, 7, 12), to: onTheHour });
    expect(resolveRange({ ...base, range: "6h" }, now).from).toBe(Date.UTC(2026, 0, 8, 6, 21));
  });

  it("picks buckets that stay under the API's 1 500", () => {
    const hour = 3_600_000;
    expect(bucketFor({ from: 0, to: 6 * hour })).toBe("minute");
    expect(bucketFor({ from: 0, to: 24 * hour })).toBe("hour");
    expect(bucketFor({ from: 0, to: 30 * 24 * hour })).toBe("day");
    for (const span of [6 * hour, 14 * 24 * hour, 400 * 24 * hour]) {
      const b = bucketFor({ from: 0, to: span });
      const size = b === "minute" ? 60_000 : b === "hour" ? hour : 24 * hour;
      expect(span / size).toBeLessThanOrEqual(1500);
    }
  });
});
