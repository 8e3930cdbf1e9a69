import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { pack } from "../src/batch";
import { BEACON_HOLD_MS, createTransport, KEEPALIVE_BUDGET } from "../src/transport";

const URL_ = "https://rum.example/ingest/v1/pk_test";
const ctx = JSON.stringify({ session_id: "s", view_id: "v", url: "https://a.example/" });
const beacon = (pad = 10) => pack(ctx, [JSON.stringify({ kind: "custom", id: "e" + Math.random(), name: "x".repeat(pad) })]).beacons[0]!;

interface Call {
  url: string;
  init: RequestInit;
  at: number;
}

function harness(answers: (Response | Error)[]) {
  const calls: Call[] = [];
  const beacons: string[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, init, at: Date.now() });
    const a = answers.shift() ?? new Response(null, { status: 202 });
    if (a instanceof Error) throw a;
    return a;
  });
  const t = createTransport(URL_, {
    fetch: fetch as unknown as typeof globalThis.fetch,
    beacon: (_u, d) => (beacons.push(d), true),
    clock: Date.now,
    random: () => 1,
  });
  return { t, calls, beacons };
}

const answer = (status: number, headers: Record<string, string> = {}) => new Response(status === 204 ? null : "{}", { status, headers });

describe("transport", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse("2026-01-01T00:00:00Z"));
  });
  afterEach(() => vi.useRealTimers());

  it("posts plain text with keepalive, sets sent_at per attempt, and stops on 202", async () => {
    const { t, calls } = harness([answer(202)]);
    t.send(beacon(), false);
    await vi.runAllTimersAsync();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(URL_);
    expect(calls[0]!.init.keepalive).toBe(true);
    expect(calls[0]!.init.credentials).toBe("omit");
    expect(JSON.parse(calls[0]!.init.body as string).sent_at).toBe(Date.parse("2026-01-01T00:00:00Z"));
    expect(t.pending()).toBe(0);
  });

  it("obeys 429 Retry-After: nothing is sent before it, then the beacon is retried", async () => {
    const { t, calls } = harness([answer(429, { "retry-after": "3" }), answer(202)]);
    const start = Date.now();
    t.send(beacon(), false);
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toHaveLength(1);
    // Another beacon during the pause waits too.
    t.send(beacon(), false);
    await vi.advanceTimersByTimeAsync(2900);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toHaveLength(3);
    expect(calls[1]!.at - start).toBeGreaterThanOrEqual(3000);
    const firstBody = JSON.parse(calls[0]!.init.body as string);
    const retried = calls.slice(1).map((c) => JSON.parse(c.init.body as string)).find((b) => b.events[0].id === firstBody.events[0].id);
    expect(retried.sent_at).toBeGreaterThanOrEqual(start + 3000);
  });

  it("retries network failures and 503 with backoff, but not other 4xx", async () => {
    const { t, calls } = harness([new TypeError("Failed to fetch"), answer(503), answer(202), answer(400)]);
    t.send(beacon(), false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(3);
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
    t.send(beacon(), false);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls).toHaveLength(4);
    expect(t.pending()).toBe(0);
  });

  it("gives a beacon up after six attempts", async () => {
    const { t, calls } = harness(Array.from({ length: 10 }, () => answer(500)));
    t.send(beacon(), false);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(calls).toHaveLength(6);
    expect(t.pending()).toBe(0);
  });

  it("stays inside the keepalive budget: past it, plain fetch", async () => {
    let release: (r: Response) => void = () => {};
    const fetch = vi.fn((_u: string, _i: RequestInit) => new Promise<Response>((r) => (release = r)));
    const t = createTransport(URL_, { fetch: fetch as never, clock: Date.now, random: () => 1 });
    const big = () => pack(ctx, [JSON.stringify({ kind: "custom", id: "e" + Math.random(), name: "x".repeat(25_000) })]).beacons[0]!;
    t.send(big(), false);
    t.send(big(), false);
    t.send(big(), false);
    await vi.advanceTimersByTimeAsync(1);
    const kept = fetch.mock.calls.map((c) => c[1].keepalive);
    expect(kept).toEqual([true, true, false]);
    const inflight = fetch.mock.calls.filter((c) => c[1].keepalive).reduce((n, c) => n + (c[1].body as string).length, 0);
    expect(inflight).toBeLessThanOrEqual(KEEPALIVE_BUDGET);
    release(answer(202));
  });

  it("uses sendBeacon when the page is hidden, and never during a Retry-After pause", async () => {
    const { t, calls, beacons } = harness([answer(429, { "retry-after": "60" })]);
    t.send(beacon(), true);
    expect(beacons).toHaveLength(1);
    expect(calls).toHaveLength(0);
    t.send(beacon(), false);
    await vi.advanceTimersByTimeAsync(10);
    t.send(beacon(), true);
    expect(beacons).toHaveLength(1);
    expect(t.pending()).toBe(2);
  });

  it("counts sendBeacon bytes as in flight across sends, and shares the budget with keepalive fetches", async () => {
    const beacons: string[] = [];
    let release: (r: Response) => void = () => {};
    const fetch = vi.fn((_u: string, _i: RequestInit) => new Promise<Response>((r) => (release = r)));
    const t = createTransport(URL_, { fetch: fetch as never, beacon: (_u, d) => (beacons.push(d), true), clock: Date.now, random: () => 1 });
    const big = () => pack(ctx, [JSON.stringify({ kind: "custom", id: "e" + Math.random(), name: "x".repeat(25_000) })]).beacons[0]!;
    // A 25 KB keepalive fetch is in flight when the page is hidden.
    t.send(big(), false);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch.mock.calls[0]![1].keepalive).toBe(true);
    // Each flush sends its beacons with its own send() call: the budget holds across them.
    for (let i = 0; i < 4; i++) t.send(big(), true);
    expect(beacons).toHaveLength(1);
    expect(t.pending()).toBe(3);
    // The fetch is done: room for one more beacon (the first still counts).
    release(answer(202));
    await vi.advanceTimersByTimeAsync(1);
    t.drain(true);
    expect(beacons).toHaveLength(2);
    // While they count, fetches go without keepalive (the two left and a new one)…
    t.send(big(), false);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch.mock.calls.slice(1).map((c) => c[1].keepalive)).toEqual([false, false, false]);
    // …and once they no longer do, with it again.
    await vi.advanceTimersByTimeAsync(BEACON_HOLD_MS);
    t.send(big(), false);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch.mock.calls[4]![1].keepalive).toBe(true);
  });

  it("never lets an exception in the retry timer reach the page", async () => {
    let broken = false;
    const t = createTransport(URL_, {
      fetch: (async () => answer(503)) as never,
      clock: () => {
        if (broken) throw new Error("clock");
        return Date.now();
      },
      random: () => 1,
    });
    t.send(beacon(), false);
    await vi.advanceTimersByTimeAsync(10);
    expect(t.pending()).toBe(1);
    broken = true;
    expect(() => vi.advanceTimersByTime(120_000)).not.toThrow();
  });

  it("compresses large bodies and says so in the URL", async () => {
    const fetch = vi.fn(async (_u: string, _i: RequestInit) => answer(202));
    const compress = vi.fn(async (s: string) => new Uint8Array(s.length / 10));
    const t = createTransport(URL_, { fetch: fetch as never, clock: Date.now, random: () => 1, compress });
    t.send(beacon(5000), false);
    t.send(beacon(10), false);
    await vi.advanceTimersByTimeAsync(1);
    const sent = new Map(fetch.mock.calls.map((c) => [c[0], c[1].body]));
    expect([...sent.keys()].sort()).toEqual([URL_, URL_ + "?encoding=gzip"]);
    expect(sent.get(URL_ + "?encoding=gzip")).toBeInstanceOf(Uint8Array);
    expect(typeof sent.get(URL_)).toBe("string");
  });

  it("keeps a bounded retry queue", async () => {
    const { t } = harness(Array.from({ length: 100 }, () => answer(503, { "retry-after": "600" })));
    for (let i = 0; i < 60; i++) t.send(beacon(), false);
    await vi.advanceTimersByTimeAsync(10);
    expect(t.pending()).toBeLessThanOrEqual(30);
  });
});
