import { describe, expect, it, vi } from "vitest";
import { body, MAX_BEACON_BYTES, pack } from "../src/batch";
import { createTransport } from "../src/transport";

const ctx = JSON.stringify({ agent: { name: "sightline-browser", version: "0.1.0" }, session_id: "s", view_id: "v", url: "https://a.example/" });
const bytes = (s: string) => new TextEncoder().encode(s).length;
const event = (i: number, pad = 0, ch = "x") => JSON.stringify({ kind: "custom", id: "e" + i, name: "n", attributes: { pad: ch.repeat(pad) } });

describe("pack", () => {
  it("keeps every event, in order, in beacons under the byte cap", () => {
    const events = Array.from({ length: 400 }, (_, i) => event(i, 300));
    const { beacons, dropped } = pack(ctx, events);
    expect(dropped).toBe(0);
    expect(beacons.length).toBeGreaterThan(3);
    const ids: string[] = [];
    for (const b of beacons) {
      const text = body(b, 1767225631904.2);
      expect(bytes(text)).toBeLessThanOrEqual(MAX_BEACON_BYTES);
      expect(b.bytes).toBeGreaterThanOrEqual(bytes(text));
      const parsed = JSON.parse(text);
      expect(parsed.v).toBe(1);
      expect(parsed.sent_at).toBe(1767225631904.2);
      expect(parsed.context.session_id).toBe("s");
      ids.push(...parsed.events.map((e: { id: string }) => e.id));
    }
    expect(ids).toEqual(events.map((_, i) => "e" + i));
  });

  it("a flush at page hide never puts more than the browser's 64 KiB keepalive budget in flight", async () => {
    vi.useFakeTimers();
    try {
      const sent: string[] = [];
      let fetches = 0;
      const t = createTransport("https://rum.example/ingest/v1/pk", {
        fetch: (() => (fetches++, new Promise(() => {}))) as never, // never answered: stays in flight
        beacon: (_u, d) => (sent.push(d), true),
        clock: Date.now,
        random: () => 1,
      });
      // Two flushes while the page lives leave keepalive fetches in flight…
      const small = pack(ctx, Array.from({ length: 30 }, (_, i) => event(i, 200))).beacons;
      for (const b of small) t.send(b, false);
      await vi.advanceTimersByTimeAsync(1);
      expect(fetches).toBe(small.length);
      // …then the page is hidden with 400 events (~130 KB) queued: the flush sends its beacons one by one.
      const beacons = pack(ctx, Array.from({ length: 400 }, (_, i) => event(i, 300))).beacons;
      for (const b of beacons) t.send(b, true);
      const inFlight = small.reduce((n, b) => n + b.bytes, 0) + sent.reduce((n, d) => n + bytes(d), 0);
      expect(sent.length).toBeGreaterThan(0);
      expect(inFlight).toBeLessThanOrEqual(64 * 1024);
      // What did not fit waits: sent if the page comes back.
      expect(t.pending()).toBe(beacons.length - sent.length);
    } finally {
      vi.useRealTimers();
    }
  });

  it("counts bytes, not characters", () => {
    // 3-byte characters: 1000 events of ~900 bytes but ~300 characters each.
    const events = Array.from({ length: 100 }, (_, i) => event(i, 300, "€"));
    for (const b of pack(ctx, events).beacons) expect(bytes(body(b, Date.now()))).toBeLessThanOrEqual(MAX_BEACON_BYTES);
  });

  it("drops an event too big for any beacon and keeps the rest", () => {
    const events = [event(0), event(1, MAX_BEACON_BYTES), event(2)];
    const { beacons, dropped } = pack(ctx, events);
    expect(dropped).toBe(1);
    expect(JSON.parse(body(beacons[0]!, 1)).events.map((e: { id: string }) => e.id)).toEqual(["e0", "e2"]);
  });

  it("caps events per beacon", () => {
    const { beacons } = pack(ctx, Array.from({ length: 45 }, (_, i) => event(i)), MAX_BEACON_BYTES, 20);
    expect(beacons.map((b) => JSON.parse(body(b, 1)).events.length)).toEqual([20, 20, 5]);
  });

  it("packs nothing into no beacon", () => {
    expect(pack(ctx, []).beacons).toEqual([]);
  });
});
