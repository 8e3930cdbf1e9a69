import { describe, expect, it } from "vitest";

import { networkSql, rollupDimension } from "../src/networksql";
import type { Filter, ViewState } from "../src/state";

const HOUR = 3_600_000;
const base: ViewState = { page: "network", range: "7d", filters: [], params: {} };
const week = { from: 1_000 * HOUR, to: 1_168 * HOUR };
const filter = (dim: string, op: Filter["op"], ...values: string[]): Filter => ({ dim, op, values });

describe("where the Network page reads from", () => {
  it("reads the rollups for a range on whole hours with filters on at most one of their dimensions", () => {
    expect(rollupDimension(base, week, [])).toBe(-1);
    expect(rollupDimension({ ...base, env: "production" }, week, [])).toBe(5);
    const routes = { ...base, filters: [filter("route", "not_in", "/", "/cart")] };
    expect(rollupDimension(routes, week, [])).toBe(0);
    const twoOnOne = { ...base, filters: [filter("country", "eq", "DE"), filter("country", "ne", "FR")] };
    expect(rollupDimension(twoOnOne, week, [])).toBe(3);
  });

  it("reads the events otherwise", () => {
    expect(rollupDimension(base, { from: week.from + 60_000, to: week.to }, [])).toBeNull();
    expect(rollupDimension({ ...base, env: "production", release: "2.4.0" }, week, [])).toBeNull();
    expect(rollupDimension({ ...base, filters: [filter("os", "eq", "iOS")] }, week, [])).toBeNull();
  });

  it("ignores the filters that apply to no page of SQL", () => {
    const attribute = { ...base, filters: [filter("user_attribute:plan", "eq", "pro")] };
    const statements = networkSql(attribute, week);
    expect(statements.skipped).toEqual(["user_attribute:plan"]);
    expect(statements.fromRollups).toBe(true);
  });

  it("asks the grouping that keeps the item and the filtered dimension", () => {
    const plain = networkSql(base, week);
    expect(plain.fromRollups).toBe(true);
    expect(plain.endpoints).toContain(`"grouping" = 12`);
    expect(plain.frames).toContain(`"grouping" = 0`);
    const byRelease = networkSql({ ...base, release: "2.4.0" }, week);
    expect(byRelease.hosts).toContain(`"grouping" = 17`);
    expect(byRelease.hosts).toContain("release IN ('2.4.0')");
    expect(byRelease.frames).toContain(`"grouping" = 5`);
    const events = networkSql({ ...base, filters: [filter("os", "eq", "iOS")] }, week);
    expect(events.fromRollups).toBe(false);
    expect(events.endpoints).toContain("FROM request");
    expect(events.endpoints).toContain("sampling_reason = 'sampled'");
  });
});
