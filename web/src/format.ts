// Numbers with their units, the way the dashboard shows them. Pure.

/** Metrics whose values are milliseconds. */
const MS_METRICS = new Set([
  "lcp",
  "inp",
  "fcp",
  "ttfb",
  "nav_redirect",
  "nav_dns",
  "nav_connect",
  "nav_tls",
  "nav_request",
  "nav_response",
  "dom_interactive",
  "dom_content_loaded",
  "load",
  "request_duration",
  "long_animation_frame_duration",
]);
const RATE_METRICS = new Set(["error_rate", "session_error_rate", "bounce_rate", "poor_vital_share", "failed_request_rate"]);
const SHARE_STATISTICS = new Set(["good", "needs_improvement", "poor", "rate"]);

export const EMPTY = "–";

/** `1 234`, `12.3k`, `4.56M`: counts, estimated ones rounded. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return EMPTY;
  const abs = Math.abs(n);
  if (abs < 10_000) return groupThousands(Math.round(n));
  if (abs < 1e6) return `${trim(n / 1e3, abs < 1e5 ? 1 : 0)}k`;
  if (abs < 1e9) return `${trim(n / 1e6, abs < 1e8 ? 2 : 0)}M`;
  return `${trim(n / 1e9, 2)}G`;
}

function groupThousands(n: number): string {
  const sign = n < 0 ? "-" : "";
  const digits = String(Math.abs(n));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
}

function trim(n: number, decimals: number): string {
  return n.toFixed(decimals).replace(/\.0+$|(\.\d*?)0+$/, "$1");
}

/** `184 ms`, `2.41 s`, `1.5 min`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return EMPTY;
  const abs = Math.abs(ms);
  if (abs < 1) return `${trim(ms, 2)} ms`;
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${trim(ms / 1000, abs < 10_000 ? 2 : 1)} s`;
  if (abs < 3_600_000) return `${trim(ms / 60_000, 1)} min`;
  return `${trim(ms / 3_600_000, 1)} h`;
}

/** A share in [0, 1] as `3.9 %`. */
export function formatPercent(share: number | null | undefined): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return EMPTY;
  const pct = share * 100;
  if (pct > 0 && pct < 0.05) return "<0.1\u202f%";
  const decimals = pct !== 0 && Math.abs(pct) < 10 ? 1 : 0;
  return `${trim(pct, decimals)}\u202f%`;
}

/** A CLS score: `0.058`. */
export function formatScore(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return EMPTY;
  return n < 10 ? n.toFixed(3) : trim(n, 1);
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return EMPTY;
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 * 1024) return `${trim(n / 1024, 1)} KiB`;
  return `${trim(n / 1024 / 1024, 1)} MiB`;
}

export function metricUnit(metric: string): "ms" | "score" | "share" | "count" | "number" {
  if (MS_METRICS.has(metric)) return "ms";
  if (metric === "cls") return "score";
  if (RATE_METRICS.has(metric)) return "share";
  if (metric.startsWith("custom:")) return "number";
  return "count";
}

/** A metric's statistic, with its unit: `p75` of `lcp` → `2.41 s`, `poor` → `4.6 %`. */
export function formatValue(metric: string, statistic: string, value: number | null | undefined): string {
  if (SHARE_STATISTICS.has(statistic)) return formatPercent(value);
  if (statistic === "count") return formatCount(value);
  switch (metricUnit(metric)) {
    case "ms":
      return formatDuration(value);
    case "score":
      return formatScore(value);
    case "share":
      return formatPercent(value);
    case "count":
      return formatCount(value);
    default:
      return value === null || value === undefined || !Number.isFinite(value) ? EMPTY : trim(value, 2);
  }
}

/** A signed relative change: `+12 %`, `−4.4 %`. */
export function formatChange(relative: number | null | undefined): string {
  if (relative === null || relative === undefined || !Number.isFinite(relative)) return EMPTY;
  const pct = relative * 100;
  const text = trim(Math.abs(pct), Math.abs(pct) < 10 ? 1 : 0);
  if (text === "0") return "±0\u202f%";
  return `${pct > 0 ? "+" : "\u2212"}${text}\u202f%`;
}

/** A time as `2026-12-05 14:03:07` in the viewer's zone (or UTC when asked). */
export function formatTime(time: string | number | null | undefined, utc = false): string {
  if (time === null || time === undefined) return EMPTY;
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return EMPTY;
  const pad = (n: number) => String(n).padStart(2, "0");
  const [y, mo, d, h, mi, s] = utc
    ? [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()]
    : [date.getFullYear(), date.getMonth() + 1, date.getDate(), date.getHours(), date.getMinutes(), date.getSeconds()];
  return `${y}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}:${pad(s)}`;
}

/** `3 min ago`, `2 h ago`, `5 d ago`. */
export function formatAgo(time: string | number, now: number): string {
  const ms = now - new Date(time).getTime();
  if (!Number.isFinite(ms)) return EMPTY;
  if (ms < 60_000) return "just now";
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return `${Math.floor(ms / 86_400_000)} d ago`;
}
