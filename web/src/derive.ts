// What the pages compute from answers: labels, markers, ratings, totals. Pure (no DOM,
// no charts), so the unit tests run it in Node.

import { formatDuration, formatValue } from "./format";
import { type Rating, rating } from "./ratings";
import type { BreakdownRow, TimeSeriesAnswer, TimelineEvent } from "./types";
import type { Marker } from "./ui/chart";

const ORDER: Record<Rating, number> = { good: 0, needs_improvement: 1, poor: 2 };

/** The totals per reason over the buckets, largest first. */
export function totalsByReason(buckets: Array<{ dropped: Record<string, number> }>): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const b of buckets) for (const [reason, n] of Object.entries(b.dropped)) totals.set(reason, (totals.get(reason) ?? 0) + n);
  return [...totals].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]));
}

/** At most ~360 buckets: 1 minute up to 6 hours, then whole minutes (the server keeps 48 hours). */
export function bucketMinutes(spanMs: number): number {
  return Math.min(1440, Math.max(1, Math.ceil(spanMs / 60_000 / 360)));
}

/** Release markers: the first bucket in which each release appears (after the range start). */
export function releaseMarkers(answer: TimeSeriesAnswer): Marker[] {
  const firsts = answer.series
    .filter((s) => s.points.length)
    .map((s) => ({ group: s.other ? undefined : s.group, time: Date.parse(s.points[0].time) }));
  const start = Math.min(...firsts.map((f) => f.time));
  // A release already there when the data starts was not released in the range.
  return firsts.filter((f) => f.group && f.time > start).map((f) => ({ time: f.time, label: `release ${f.group}` }));
}

export function worstRating(values: Array<[string, number | null]>): Rating | undefined {
  let worst: Rating | undefined;
  for (const [metric, value] of values) {
    const r = rating(metric, value);
    if (r && (!worst || ORDER[r] > ORDER[worst])) worst = r;
  }
  return worst;
}

/** The label of a breakdown group's value (null is "(none)", the rest "(other)"). */
export function groupLabel(row: BreakdownRow, i = 0): string {
  if (row.other) return "(other)";
  const v = row.group[i];
  return v === null || v === undefined ? "(none)" : v;
}

let regionNames: Intl.DisplayNames | undefined;
/** `United States (US)` for a country code, the code itself when unknown. */
export function countryName(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return code;
  try {
    regionNames ??= new Intl.DisplayNames(["en"], { type: "region" });
    const name = regionNames.of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch {
    return code;
  }
}

/** The words of one timeline event: what happened, as text. */
export function describe(e: TimelineEvent): string {
  const s = (k: string) => (e[k] === null || e[k] === undefined ? "" : String(e[k]));
  switch (e.kind) {
    case "view":
      return `${s("navigation_type") || "view"}${e.load != null ? `, load ${formatDuration(e.load as number)}` : ""}`;
    case "vital":
      return `${s("name").toUpperCase()} ${formatValue(s("name"), "p75", e.value as number)}`;
    case "action":
      return [s("action_type"), s("name") || s("target"), e.rage ? "rage" : "", e.dead ? "dead" : "", e.error ? "followed by an error" : ""]
        .filter(Boolean)
        .join(" · ");
    case "error":
      return `${s("error_type") || "Error"}: ${s("message")}${Number(e.count) > 1 ? ` (×${s("count")})` : ""}`;
    case "request":
      return `${s("method")} ${e.status ? s("status") : s("failure") || "no response"} in ${formatDuration(e.duration as number)}`;
    case "custom":
      return `${s("name")}${e.value != null ? ` = ${s("value")}` : ""}`;
    case "long_animation_frame":
      return `long animation frame ${formatDuration(e.duration as number)}`;
    default:
      return e.kind;
  }
}

/** A JS string literal that cannot close the surrounding `<script>` element. */
const jsString = (text: string) => JSON.stringify(text).replace(/</g, "\\u003c");

export function snippet(origin: string, key: string): string {
  return `<script>
!function(w,d,n,u){var q=w[n]=w[n]||function(){(q.q=q.q||[]).push(arguments)},e=q.e=q.e||[],f=function(x){w[n].e&&e.length<50&&e.push(x)};w.addEventListener("error",f,!0);w.addEventListener("unhandledrejection",f);var s=d.createElement("script");s.async=1;s.src=u;d.head.appendChild(s)}(window,document,"sightline",${jsString(origin + "/agent.js")});
sightline("init", { projectKey: ${jsString(key)}, release: "1.0.0", environment: "production" });
</script>`;
}

/** The npm package's usage with this server and key. */
export function npmUsage(origin: string, key: string): string {
  return `npm install @sightline/agent

import { init } from "@sightline/agent";
init({ projectKey: ${jsString(key)}, endpoint: ${jsString(origin)}, release: "1.0.0", environment: "production" });`;
}

/** One entry a line, blank lines and surrounding spaces left out. */
export function lines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}
