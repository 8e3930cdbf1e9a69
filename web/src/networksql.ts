// The Network page's three questions as SQL: endpoints (requests by method and endpoint),
// hosts (resources by host) and scripts (long animation frames by their longest script).
// Each is read from the store's rollups when they hold it — the range on whole hours and the
// filters on at most one of the rollups' dimensions — and from the events otherwise, with
// the same meaning either way: only sampled sessions count, each unit weighted by the
// inverse of its sample rate; p75 and max are approximate (within 0.5 % from the rollups'
// sketches, DataFusion's t-digest over the events). Pure.

import { sqlWhere } from "./sqlfilter";
import type { Range, ViewState } from "./state";

export interface NetworkSql {
  /** Columns `method`, `url`, `requests`, `p75`, `max`, `failed`. */
  endpoints: string;
  /** Columns `host`, `resources`, `p75`, `total_time`, `bytes`, `third_party`. */
  hosts: string;
  /** Columns `url`, `fn`, `longest`, `p75`, `blocking`, `third_party`, `all_frames`. */
  frames: string;
  /** Whether the statements read the rollups. */
  fromRollups: boolean;
  /** Filters that do not apply (not plain columns). */
  skipped: string[];
}

const HOUR_MS = 3_600_000;
/** The rollups' dimensions, in the store's order (`ROLLUP_DIMENSIONS`). */
const ROLLUP_DIMENSIONS = ["route", "browser", "device_class", "country", "release", "environment"];
const DAY_MS = 24 * HOUR_MS;
/** The store's grouping of the sets `[]`, `[route]`… `[environment]` (`GROUPING_SETS`)... */
const plainGrouping = (dimension: number) => dimension + 1;
/** ...and of the item sets `[item]`, `[route, item]`… (`ITEM_GROUPING_SETS`, after the 12). */
const itemGrouping = (dimension: number) => 12 + dimension + 1;
/** A daily row's grouping: this plus the hourly rows' it sums (`DAILY_GROUPING`). */
const DAILY = 100;

/**
 * The rows of `grouping` in `range` (on whole hours): the whole UTC days' daily rows and the
 * hourly ones at either end, as the server's planner reads them (a month in 30 rows per group,
 * not 720).
 */
export function groupingByTime(grouping: number, range: Range): string {
  const firstDay = Math.ceil(range.from / DAY_MS) * DAY_MS;
  const lastDay = Math.floor(range.to / DAY_MS) * DAY_MS;
  const hourly = `"grouping" = ${grouping}`;
  if (firstDay >= lastDay) return hourly;
  const [from, to] = [firstDay, lastDay].map((ms) => `to_timestamp_millis(${ms})`);
  return `(("grouping" = ${grouping + DAILY} AND timestamp >= ${from} AND timestamp < ${to}) OR (${hourly} AND (timestamp < ${from} OR timestamp >= ${to})))`;
}

/** The filters' dimensions as the filter bar applies them (environment and release included). */
function filteredDimensions(view: ViewState): string[] {
  const dims = view.filters.filter((f) => f.values.length).map((f) => f.dim);
  if (view.env) dims.push("environment");
  if (view.release) dims.push("release");
  return [...new Set(dims)];
}

/**
 * The rollup dimension the filters need (-1: none), or null when the rollups cannot answer:
 * a range off whole hours, or filters on two dimensions or on one the rollups do not keep.
 */
export function rollupDimension(view: ViewState, range: Range, skipped: string[]): number | null {
  if (range.from % HOUR_MS !== 0 || range.to % HOUR_MS !== 0) return null;
  const dims = filteredDimensions(view).filter((dim) => !skipped.includes(dim));
  if (dims.length > 1) return null;
  if (!dims.length) return -1;
  const at = ROLLUP_DIMENSIONS.indexOf(dims[0]);
  return at < 0 ? null : at;
}

/** The weight of an event: the inverse of its sample rate. */
const WEIGHT = "(CASE WHEN sample_rate > 0 THEN 1.0 / sample_rate ELSE 1.0 END)";
const SAMPLED = "sampling_reason = 'sampled'";
const FAILED = "(failure IS NOT NULL OR status IS NULL OR status = 0 OR status >= 400)";
/** A text field of a frame's first (longest) script, or null. */
const firstScriptField = (name: string) => `NULLIF(sightline_json_first(scripts, '${name}'), '')`;

type Statements = Pick<NetworkSql, "endpoints" | "hosts" | "frames">;

/** The statements over the events, `where` (as `sqlWhere` writes it) applied. */
export function fromEvents(where: string): Statements {
  const sampled = `${where} AND ${SAMPLED}`;
  const p75 = (value: string, weight = WEIGHT) => `approx_percentile_cont_with_weight(${value}, ${weight}, 0.75)`;
  return {
    endpoints: `SELECT method, sightline_endpoint(url) AS url, sum(${WEIGHT}) AS requests, ${p75("duration")} AS p75,
        max(duration) AS max, sum(CASE WHEN ${FAILED} THEN ${WEIGHT} ELSE 0.0 END) AS failed
      FROM request WHERE ${sampled} GROUP BY 1, 2 ORDER BY requests DESC`,
    hosts: `SELECT sightline_url_host(url) AS host, sum(${WEIGHT}) AS resources, ${p75("duration")} AS p75,
        sum(${WEIGHT} * duration) AS total_time, sum(${WEIGHT} * transfer_size) AS bytes, bool_or(third_party) AS third_party
      FROM resource WHERE ${sampled} GROUP BY 1 ORDER BY total_time DESC`,
    frames: `SELECT url, fn, sum(w) AS longest, ${p75("duration", "w")} AS p75, sum(w * blocking_duration) AS blocking,
        bool_or(host IS NOT NULL AND sightline_url_host(url) <> host) AS third_party,
        (SELECT sum(${WEIGHT}) FROM long_animation_frame WHERE ${sampled}) AS all_frames
      FROM (SELECT ${firstScriptField("source_url")} AS url, ${firstScriptField("source_function_name")} AS fn,
              duration, blocking_duration, host, ${WEIGHT} AS w
            FROM long_animation_frame WHERE scripts LIKE '[{%' AND ${sampled})
      GROUP BY url, fn ORDER BY longest DESC`,
  };
}

/**
 * The statements over the rollups, `where` applied (on the time, `range`, and at most
 * `dimension`, an index into the rollups' dimensions, -1 for none).
 */
export function fromRollups(where: string, dimension: number, range: Range): Statements {
  const items = `${where} AND ${groupingByTime(itemGrouping(dimension), range)}`;
  const of = (name: string, column: string) => `CASE WHEN name = '${name}' THEN ${column} END`;
  const quantile = (name: string, q: string) => `sightline_sketch_quantile(${of(name, "sketch")}, ${q})`;
  const any = (name: string) => `coalesce(sum(${of(name, '"count"')}), 0) > 0`;
  return {
    endpoints: `SELECT item_detail AS method, item AS url, sum(${of("endpoint_request", '"count"')}) AS requests,
        ${quantile("endpoint_request", "0.75")} AS p75, ${quantile("endpoint_request", "1.0")} AS max,
        coalesce(sum(${of("endpoint_failed_request", '"count"')}), 0) AS failed
      FROM rollup WHERE ${items} AND name IN ('endpoint_request', 'endpoint_failed_request')
      GROUP BY 1, 2 ORDER BY requests DESC`,
    hosts: `SELECT item AS host, sum(${of("host_resource", '"count"')}) AS resources, ${quantile("host_resource", "0.75")} AS p75,
        sum(${of("host_resource", '"sum"')}) AS total_time, sum(${of("host_resource_bytes", '"sum"')}) AS bytes,
        ${any("host_third_party_resource")} AS third_party
      FROM rollup WHERE ${items} AND name IN ('host_resource', 'host_resource_bytes', 'host_third_party_resource')
      GROUP BY 1 ORDER BY total_time DESC`,
    frames: `SELECT item AS url, item_detail AS fn, sum(${of("script_frame", '"count"')}) AS longest,
        ${quantile("script_frame", "0.75")} AS p75, sum(${of("script_blocking", '"sum"')}) AS blocking,
        ${any("script_third_party_frame")} AS third_party,
        (SELECT sum("count") FROM rollup WHERE ${where} AND ${groupingByTime(plainGrouping(dimension), range)}
           AND name = 'long_animation_frame') AS all_frames
      FROM rollup WHERE ${items} AND name IN ('script_frame', 'script_blocking', 'script_third_party_frame')
      GROUP BY 1, 2 ORDER BY longest DESC`,
  };
}

/** The Network page's statements for the filter bar's state. */
export function networkSql(view: ViewState, range: Range): NetworkSql {
  const { where, skipped } = sqlWhere(view, range);
  const dimension = rollupDimension(view, range, skipped);
  if (dimension === null) return { ...fromEvents(where), fromRollups: false, skipped };
  return { ...fromRollups(where, dimension, range), fromRollups: true, skipped };
}
