import { describe, expect, it } from "vitest";
import { add, joins, RAGE_RADIUS, startCluster, verdict, type Click, type Cluster } from "../src/frustration";

/** Feeds clicks the way instr/actions.ts does: a click that does not join ends the cluster. */
function clusters(clicks: Click[]): Cluster[] {
  const out: Cluster[] = [];
  for (const c of clicks) {
    const cur = out[out.length - 1];
    if (cur && joins(cur, c)) add(cur, c);
    else out.push(startCluster(c));
  }
  return out;
}

describe("rage clicks", () => {
  it("three clicks within a second on the same spot are one rage action", () => {
    const [k, ...rest] = clusters([
      { t: 0, x: 100, y: 100 },
      { t: 300, x: 104, y: 98 },
      { t: 650, x: 101, y: 103 },
    ]);
    expect(rest).toEqual([]);
    expect(k!.count).toBe(3);
    expect(verdict(k!, true).rage).toBe(true);
  });

  it("two clicks are not rage", () => {
    const [k] = clusters([
      { t: 0, x: 10, y: 10 },
      { t: 100, x: 10, y: 10 },
    ]);
    expect(verdict(k!, true).rage).toBe(false);
  });

  it("clicks spread over more than a second are not rage", () => {
    const ks = clusters([
      { t: 0, x: 10, y: 10 },
      { t: 600, x: 10, y: 10 },
      { t: 1200, x: 10, y: 10 },
    ]);
    expect(ks.map((k) => k.count)).toEqual([2, 1]);
    expect(ks.some((k) => verdict(k, true).rage)).toBe(false);
  });

  it("clicks far apart are separate actions", () => {
    const ks = clusters([
      { t: 0, x: 10, y: 10 },
      { t: 100, x: 10 + RAGE_RADIUS + 1, y: 10 },
      { t: 200, x: 10, y: 10 + 200 },
    ]);
    expect(ks).toHaveLength(3);
  });

  it("many fast clicks fold into one action with their count", () => {
    const clicks = Array.from({ length: 7 }, (_, i) => ({ t: i * 120, x: 50, y: 50 }));
    const [k] = clusters(clicks);
    expect(k!.count).toBe(7);
  });
});

describe("dead and error clicks", () => {
  it("a click followed by nothing is dead", () => {
    expect(verdict(startCluster({ t: 0, x: 0, y: 0 }), true)).toEqual({ rage: false, dead: true, error: false });
  });

  it("a DOM change, navigation or request makes it alive", () => {
    const k = startCluster({ t: 0, x: 0, y: 0 });
    k.reaction = true;
    expect(verdict(k, true).dead).toBe(false);
  });

  it("form fields are never dead", () => {
    expect(verdict(startCluster({ t: 0, x: 0, y: 0 }), false).dead).toBe(false);
  });

  it("an error after the click is an error click", () => {
    const k = startCluster({ t: 0, x: 0, y: 0 });
    k.error = true;
    k.reaction = true;
    expect(verdict(k, true)).toEqual({ rage: false, dead: false, error: true });
  });
});
