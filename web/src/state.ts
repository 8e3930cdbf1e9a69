// The dashboard's state lives in the URL: the page (path), the project, the time range,
// the environment, the release, dimension filters and a few page-specific parameters
// (query string). Everything here is pure: parse a location into a `ViewState`, write one
// back, and turn it into the query model's filters and range.

export type Op = "eq" | "ne" | "in" | "not_in" | "prefix";

/** A dimension is a name (`country`) or `user_attribute:key` / `attribute:key`. */
export interface Filter {
  dim: string;
  op: Op;
  values: string[];
}

export interface ViewState {
  /** The page, the first path segment (`overview`, `errors`…). */
  page: string;
  /** What the page shows in detail (an error fingerprint, a session id), the second segment. */
  detail?: string;
  project?: string;
  /** A relative range (`1h`, `24h`, `7d`, `30d`) or `custom` with `from` / `to`. */
  range: string;
  from?: number;
  to?: number;
  env?: string;
  release?: string;
  filters: Filter[];
  /** Page-specific parameters (`metric`, `stat`, `by`, `sort`…), kept sorted in the URL. */
  params: Record<string, string>;
}

export const PAGES = [
  "overview",
  "performance",
  "errors",
  "sessions",
  "pages",
  "releases",
  "network",
  "geography",
  "ingest-health",
  "setup",
] as const;

export const RANGES: Record<string, { label: string; ms: number }> = {
  "15m": { label: "Last 15 minutes", ms: 15 * 60_000 },
  "1h": { label: "Last hour", ms: 3_600_000 },
  "6h": { label: "Last 6 hours", ms: 6 * 3_600_000 },
  "24h": { label: "Last 24 hours", ms: 24 * 3_600_000 },
  "7d": { label: "Last 7 days", ms: 7 * 86_400_000 },
  "30d": { label: "Last 30 days", ms: 30 * 86_400_000 },
};
export const DEFAULT_RANGE = "24h";

const RESERVED = new Set(["project", "range", "from", "to", "env", "release", "f"]);

// Filters are written `dim=value`, `dim!=value`, `dim=a|b`, `dim!=a|b`, `dim^=prefix`, as on
// the command line; `\` escapes any of `\ = ! ^ |` inside a dimension or a value.
const SPECIAL = /[\\=!^|]/g;
const escape = (text: string) => text.replace(SPECIAL, (c) => `\\${c}`);

export function formatFilter(filter: Filter): string {
  const negative = filter.op === "ne" || filter.op === "not_in";
  const sign = filter.op === "prefix" ? "^=" : negative ? "!=" : "=";
  return `${escape(filter.dim)}${sign}${filter.values.map(escape).join("|")}`;
}

/** Parses `formatFilter`'s text; undefined when it is not one. */
export function parseFilter(text: string): Filter | undefined {
  let dim = "";
  let i = 0;
  let sign = "";
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) {
      dim += text[++i];
    } else if (c === "=") {
      sign = "=";
      i += 1;
      break;
    } else if ((c === "!" || c === "^") && text[i + 1] === "=") {
      sign = `${c}=`;
      i += 2;
      break;
    } else {
      dim += c;
    }
  }
  if (!sign || !dim) return undefined;
  const values: string[] = [];
  let current = "";
  for (; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) current += text[++i];
    else if (c === "|") {
      values.push(current);
      current = "";
    } else current += c;
  }
  values.push(current);
  if (sign === "^=") return values.length === 1 ? { dim, op: "prefix", values } : undefined;
  const many = values.length > 1;
  const op: Op = sign === "!=" ? (many ? "not_in" : "ne") : many ? "in" : "eq";
  return { dim, op, values };
}

function parseTime(text: string | null): number | undefined {
  if (!text) return undefined;
  const n = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  return Number.isFinite(n) ? n : undefined;
}

/** Reads a location's path and query string. Unknown pages become `overview`. */
export function parseLocation(pathname: string, search: string): ViewState {
  const segments = pathname.split("/").filter(Boolean).map(safeDecode);
  const page = (PAGES as readonly string[]).includes(segments[0] ?? "") ? segments[0] : "overview";
  const query = new URLSearchParams(search);
  const state: ViewState = { page, range: DEFAULT_RANGE, filters: [], params: {} };
  if (segments[1] !== undefined && page === segments[0]) state.detail = segments[1];
  const project = query.get("project");
  if (project) state.project = project;
  const from = parseTime(query.get("from"));
  const to = parseTime(query.get("to"));
  const range = query.get("range");
  if (from !== undefined && to !== undefined && from < to) {
    state.range = "custom";
    state.from = from;
    state.to = to;
  } else if (range && range in RANGES) {
    state.range = range;
  }
  const env = query.get("env");
  if (env) state.env = env;
  const release = query.get("release");
  if (release) state.release = release;
  for (const text of query.getAll("f")) {
    const filter = parseFilter(text);
    if (filter) state.filters.push(filter);
  }
  for (const [key, value] of query) {
    if (!RESERVED.has(key) && value !== "") state.params[key] = value;
  }
  return state;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The path and query string of a state: `parseLocation(toUrl(s))` gives `s` back. */
export function toUrl(state: ViewState): string {
  const query = new URLSearchParams();
  if (state.project) query.set("project", state.project);
  if (state.range === "custom" && state.from !== undefined && state.to !== undefined) {
    query.set("from", new Date(state.from).toISOString());
    query.set("to", new Date(state.to).toISOString());
  } else if (state.range !== DEFAULT_RANGE) {
    query.set("range", state.range);
  }
  if (state.env) query.set("env", state.env);
  if (state.release) query.set("release", state.release);
  for (const filter of state.filters) query.append("f", formatFilter(filter));
  for (const key of Object.keys(state.params).sort()) {
    if (!RESERVED.has(key)) query.set(key, state.params[key]);
  }
  let path = `/${state.page}`;
  if (state.detail !== undefined) path += `/${encodeURIComponent(state.detail)}`;
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** A dimension as the query model writes it. */
export type Dimension = string | { user_attribute: string } | { attribute: string };

export function toDimension(dim: string): Dimension {
  if (dim.startsWith("user_attribute:")) return { user_attribute: dim.slice(15) };
  if (dim.startsWith("attribute:")) return { attribute: dim.slice(10) };
  return dim;
}

export function dimensionName(dim: Dimension): string {
  if (typeof dim === "string") return dim;
  return "user_attribute" in dim ? `user_attribute:${dim.user_attribute}` : `attribute:${dim.attribute}`;
}

export type ApiFilter =
  | { dimension: Dimension; op: "eq" | "ne" | "prefix"; value: string }
  | { dimension: Dimension; op: "in" | "not_in"; values: string[] };

/** The query model's filters: environment, release, then the dimension filters. */
export function apiFilters(state: ViewState): ApiFilter[] {
  const out: ApiFilter[] = [];
  if (state.env) out.push({ dimension: "environment", op: "eq", value: state.env });
  if (state.release) out.push({ dimension: "release", op: "eq", value: state.release });
  for (const f of state.filters) {
    const dimension = toDimension(f.dim);
    if (f.op === "in" || f.op === "not_in") out.push({ dimension, op: f.op, values: f.values });
    else out.push({ dimension, op: f.op, value: f.values[0] ?? "" });
  }
  return out;
}

export interface Range {
  from: number;
  to: number;
}

const HOUR_MS = 3_600_000;

/** Relative ranges at least this long are widened to whole hours. */
const WHOLE_HOURS_FROM_MS = 24 * HOUR_MS;

/**
 * The range in epoch ms. A relative one ends at `now` rounded up to the minute and goes
 * back by its length; from a day up it is widened to whole hours (starting at the hour
 * before, ending at the next), which the server answers from its hourly rollups instead of
 * reading every event: a day's figures in milliseconds at millions of page views.
 */
export function resolveRange(state: ViewState, now: number): Range {
  if (state.range === "custom" && state.from !== undefined && state.to !== undefined) {
    return { from: state.from, to: state.to };
  }
  const span = (RANGES[state.range] ?? RANGES[DEFAULT_RANGE]).ms;
  if (span >= WHOLE_HOURS_FROM_MS) {
    const to = Math.ceil(now / HOUR_MS) * HOUR_MS;
    return { from: Math.floor((now - span) / HOUR_MS) * HOUR_MS, to };
  }
  const to = Math.ceil(now / 60_000) * 60_000;
  return { from: to - span, to };
}

/** The period of the same length just before. */
export function previousRange(range: Range): Range {
  return { from: range.from - (range.to - range.from), to: range.from };
}

/** A time-series bucket that gives between ~12 and ~1 500 points. */
export function bucketFor(range: Range): "minute" | "hour" | "day" {
  const span = range.to - range.from;
  if (span <= 6 * 3_600_000) return "minute";
  if (span <= 14 * 86_400_000) return "hour";
  return "day";
}

export function isoRange(range: Range): { from: string; to: string } {
  return { from: new Date(range.from).toISOString(), to: new Date(range.to).toISOString() };
}

/** Adds a filter (or replaces one on the same dimension), as a row click does. */
export function withFilter(state: ViewState, filter: Filter): ViewState {
  if (filter.dim === "environment" && filter.op === "eq") return { ...state, env: filter.values[0] };
  if (filter.dim === "release" && filter.op === "eq") return { ...state, release: filter.values[0] };
  const filters = state.filters.filter((f) => f.dim !== filter.dim);
  return { ...state, filters: [...filters, filter] };
}

export function withoutFilter(state: ViewState, index: number): ViewState {
  return { ...state, filters: state.filters.filter((_, i) => i !== index) };
}

/** Moves to another page keeping the shared filters; page parameters are dropped. */
export function toPage(state: ViewState, page: string, detail?: string, params: Record<string, string> = {}): ViewState {
  return { ...state, page, detail, params };
}
