import { describe, expect, it } from "vitest";
import type { Event } from "../src/protocol.gen";
import { admit, type Gate } from "../src/sampling";

const custom = (i: number): Event => ({ kind: "custom", id: "c" + i, name: "n" });
const error: Event = { kind: "error", id: "err", message: "boom" };
const poorLcp: Event = { kind: "vital", id: "lcp", name: "lcp", value: 5000, rating: "poor" };
const goodLcp: Event = { kind: "vital", id: "lcp2", name: "lcp", value: 1000, rating: "good" };

describe("sampling gate", () => {
  it("a sampled session sends everything at once", () => {
    const g: Gate = { sampled: "sampled", buffer: [] };
    expect(admit(g, custom(1), [])).toEqual([custom(1)]);
  });

  it("an unsampled session without keepSessionsWith sends and holds nothing", () => {
    const g: Gate = { sampled: 0, buffer: [] };
    expect(admit(g, custom(1), [])).toEqual([]);
    expect(admit(g, error, [])).toEqual([]);
    expect(g.buffer).toEqual([]);
    expect(g.sampled).toBe(0);
  });

  it("an error upgrades an unsampled session and flushes its buffer in order", () => {
    const g: Gate = { sampled: 0, buffer: [] };
    expect(admit(g, custom(1), ["errors"])).toEqual([]);
    expect(admit(g, custom(2), ["errors"])).toEqual([]);
    expect(admit(g, error, ["errors"])).toEqual([custom(1), custom(2), error]);
    expect(g.sampled).toBe("kept_for_error");
    expect(g.buffer).toEqual([]);
    // From now on it sends like a sampled session, still marked with its reason.
    expect(admit(g, custom(3), ["errors"])).toEqual([custom(3)]);
    expect(g.sampled).toBe("kept_for_error");
  });

  it("a poor vital upgrades only with poorVitals, a good one never", () => {
    const g: Gate = { sampled: 0, buffer: [] };
    expect(admit(g, poorLcp, ["errors"])).toEqual([]);
    expect(admit(g, goodLcp, ["poorVitals"])).toEqual([]);
    expect(admit(g, poorLcp, ["poorVitals"])).toEqual([poorLcp, goodLcp, poorLcp]);
    expect(g.sampled).toBe("kept_for_poor_vital");
  });

  it("the buffer is bounded: the oldest events go first", () => {
    const g: Gate = { sampled: 0, buffer: [] };
    for (let i = 0; i < 10; i++) admit(g, custom(i), ["errors"], 4);
    expect(g.buffer.map((e) => e.id)).toEqual(["c6", "c7", "c8", "c9"]);
    expect(admit(g, error, ["errors"], 4).map((e) => e.id)).toEqual(["c6", "c7", "c8", "c9", "err"]);
  });
});
