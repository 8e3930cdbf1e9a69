import { describe, expect, it } from "vitest";

import { formatAgo, formatBytes, formatChange, formatCount, formatDuration, formatPercent, formatScore, formatValue, metricUnit } from "../src/format";

const nb = (s: string) => s.replace(/\u202f/g, " ");

describe("formatting", () => {
  it("writes durations with their unit", () => {
    expect(formatDuration(0.5)).toBe("0.5 ms");
    expect(formatDuration(184.4)).toBe("184 ms");
    expect(formatDuration(2412.6)).toBe("2.41 s");
    expect(formatDuration(12_345)).toBe("12.3 s");
    expect(formatDuration(90_000)).toBe("1.5 min");
    expect(formatDuration(null)).toBe("–");
    expect(formatDuration(Number.NaN)).toBe("–");
  });

  it("writes counts grouped or shortened", () => {
    expect(nb(formatCount(3086))).toBe("3 086");
    expect(formatCount(12_345)).toBe("12.3k");
    expect(formatCount(123_456)).toBe("123k");
    expect(formatCount(4_560_000)).toBe("4.56M");
    expect(formatCount(2.6)).toBe("3");
    expect(formatCount(undefined)).toBe("–");
  });

  it("writes shares, scores, bytes and changes", () => {
    expect(nb(formatPercent(0.039))).toBe("3.9 %");
    expect(nb(formatPercent(0.28))).toBe("28 %");
    expect(nb(formatPercent(0))).toBe("0 %");
    expect(nb(formatPercent(0.0001))).toBe("<0.1 %");
    expect(formatScore(0.0584)).toBe("0.058");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(75_705)).toBe("73.9 KiB");
    expect(nb(formatChange(-0.044))).toBe("\u22124.4 %");
    expect(nb(formatChange(0.12))).toBe("+12 %");
    expect(nb(formatChange(0))).toBe("±0 %");
    expect(formatChange(null)).toBe("–");
  });

  it("formats a statistic by its metric's unit", () => {
    expect(formatValue("lcp", "p75", 2500)).toBe("2.5 s");
    expect(formatValue("cls", "p75", 0.1)).toBe("0.100");
    expect(nb(formatValue("lcp", "poor", 0.046))).toBe("4.6 %");
    expect(nb(formatValue("error_rate", "rate", 0.041))).toBe("4.1 %");
    expect(nb(formatValue("page_views", "count", 3086))).toBe("3 086");
    expect(nb(formatValue("inp", "count", 12))).toBe("12");
    expect(metricUnit("request_duration")).toBe("ms");
    expect(metricUnit("custom:purchase")).toBe("number");
  });

  it("says how long ago", () => {
    const now = Date.UTC(2026, 0, 2);
    expect(formatAgo(now - 30_000, now)).toBe("just now");
    expect(formatAgo(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(formatAgo(now - 3 * 3_600_000, now)).toBe("3 h ago");
    expect(formatAgo("2025-12-30T00:00:00Z", now)).toBe("3 d ago");
  });
});
