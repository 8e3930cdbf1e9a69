import { describe, expect, it } from "vitest";

import { groupingByTime, networkSql, rollupDimension } from "../src/networksql";
import type { Filter, ViewState } from "../src/state";

const HOUR = 3_600_000;
const base: ViewState = { page: "network", range: "7d", filters: [], params: {} };
const week = { from: 1_000 * HOUR, to: 1_168 * HOUR }; // 16:00 to 16:00, six whole UTC days
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
    expect(plain.endpoints).toContain(`"grouping" = 112`);
    expect(plain.frames).toContain(`"grouping" = 0`);
    const byRelease = networkSql({ ...base, release: "2.4.0" }, week);
    expect(byRelease.hosts).toContain(`"grouping" = 17`);
    expect(byRelease.hosts).toContain("release IN ('2.4.0')");
    expect(byRelease.frames).toContain(`"grouping" = 5`);
  });

  it("reads whole UTC days from the daily rows and the hours at the ends from the hourly ones", () => {
    const days = (from: number, to: number) => [from * 24 * HOUR, to * 24 * HOUR].map((ms) => `to_timestamp_millis(${ms})`);
    const [first, last] = days(42, 48);
    expect(groupingByTime(12, week)).toBe(
      `(("grouping" = 112 AND timestamp >= ${first} AND timestamp < ${last}) OR ("grouping" = 12 AND (timestamp < ${first} OR timestamp >= ${last})))`,
    );
    // No whole day: the hours alone.
    expect(groupingByTime(3, { from: 1_000 * HOUR, to: 1_020 * HOUR })).toBe(`"grouping" = 3`);
    expect(groupingByTime(3, { from: 1_000 * HOUR, to: 1_024 * HOUR })).toBe(`"grouping" = 3`);
    const events = networkSql({ ...base, filters: [filter("os", "eq", "iOS")] }, week);
    expect(events.fromRollups).toBe(false);
    expect(events.endpoints).toContain("FROM request");
    expect(events.endpoints).toContain("sampling_reason = 'sampled'");
  });
});
