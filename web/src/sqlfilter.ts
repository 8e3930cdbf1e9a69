// The filter bar as a SQL condition, for the few views the typed model cannot answer
// (endpoints, third-party hosts, attribution), which go through the read-only SQL endpoint.
// Only plain dimensions that are columns of every event table are translated; values are
// string literals with quotes doubled. (The endpoint reads one project and writes nothing,
// so a crafted value could at worst change what this project's view shows.) Pure.

import type { Range, ViewState } from "./state";

const COLUMNS = new Set([
  "route",
  "host",
  "path",
  "country",
  "region",
  "city",
  "browser",
  "browser_version",
  "os",
  "os_version",
  "device_class",
  "effective_type",
  "connection_type",
  "release",
  "environment",
  "referrer_host",
]);

export const sqlString = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** `timestamp` within the range, and every filter that is a plain column. */
export function sqlWhere(view: ViewState, range: Range): { where: string; skipped: string[] } {
  const parts = [
    `timestamp >= to_timestamp_millis(${Math.floor(range.from)})`,
    `timestamp < to_timestamp_millis(${Math.floor(range.to)})`,
  ];
  const skipped: string[] = [];
  const filters = [...view.filters];
  if (view.env) filters.push({ dim: "environment", op: "eq", values: [view.env] });
  if (view.release) filters.push({ dim: "release", op: "eq", values: [view.release] });
  for (const f of filters) {
    if (!COLUMNS.has(f.dim) || !f.values.length) {
      skipped.push(f.dim);
      continue;
    }
    const list = f.values.map(sqlString).join(", ");
    switch (f.op) {
      case "eq":
      case "in":
        parts.push(`${f.dim} IN (${list})`);
        break;
      case "ne":
      case "not_in":
        parts.push(`(${f.dim} IS NULL OR ${f.dim} NOT IN (${list}))`);
        break;
      case "prefix":
        parts.push(`starts_with(${f.dim}, ${sqlString(f.values[0])})`);
        break;
    }
  }
  return { where: parts.join(" AND "), skipped };
}
