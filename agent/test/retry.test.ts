import { describe, expect, it } from "vitest";
import { backoff, parseRetryAfter, retryable } from "../src/retry";

describe("retry policy", () => {
  it("retries timeouts, throttling, server errors and network failures only", () => {
    for (const s of [0, 408, 429, 500, 502, 503]) expect(retryable(s)).toBe(true);
    for (const s of [400, 403, 413, 415]) expect(retryable(s)).toBe(false);
  });

  it("backs off exponentially with jitter, capped at a minute", () => {
    expect(backoff(1, 0)).toBe(500);
    expect(backoff(1, 1)).toBe(1000);
    expect(backoff(3, 1)).toBe(4000);
    expect(backoff(20, 1)).toBe(60_000);
    for (let i = 0; i < 50; i++) {
      const d = backoff(4, Math.random());
      expect(d).toBeGreaterThanOrEqual(4000);
      expect(d).toBeLessThanOrEqual(8000);
    }
  });

  it("never retries before Retry-After", () => {
    expect(backoff(1, 0, 30)).toBe(30_000);
    expect(backoff(8, 1, 1)).toBe(60_000);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7);
    expect(parseRetryAfter(" 0 ", now)).toBe(0);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30);
    expect(parseRetryAfter("999999", now)).toBe(3600);
    for (const bad of [null, "", "soon", "-5", "Wed, 31 Dec 2025 23:00:00 GMT"]) expect(parseRetryAfter(bad, now)).toBeUndefined();
  });
});
