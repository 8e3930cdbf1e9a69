// Vitals as pure logic: mapping web-vitals' attribution build (LCP, FCP, TTFB) to the wire,
// ratings, and INP and CLS per view (web-vitals measures the whole page, so views get their
// own computation, on the same definitions).

import type { MetricWithAttribution } from "web-vitals/attribution";
import type { Rating, ScriptAttribution, VitalAttribution, VitalEventBody, VitalName } from "./protocol.gen";
import { cut, dur, r1 } from "./util";

/** Core Web Vitals thresholds: good ≤ [0], poor > [1]. */
const THRESHOLDS: Record<VitalName, [number, number]> = {
  lcp: [2500, 4000],
  inp: [200, 500],
  cls: [0.1, 0.25],
  fcp: [1800, 3000],
  ttfb: [800, 1800],
};

export const rate = (name: VitalName, value: number): Rating => {
  const [good, poor] = THRESHOLDS[name];
  return value <= good ? "good" : value <= poor ? "needs_improvement" : "poor";
};

/** The part of a long-animation-frame script entry the wire carries. */
export interface ScriptLike {
  sourceURL?: string;
  sourceFunctionName?: string;
  invoker?: string;
  invokerType?: string;
  duration: number;
  forcedStyleAndLayoutDuration?: number;
}

/** Scripts of some frames, longest first, at most 10. */
export function scriptsOf(frames: readonly { scripts?: readonly ScriptLike[] }[], scrub: (u: string) => string): ScriptAttribution[] {
  const all: ScriptLike[] = [];
  for (const f of frames) all.push(...(f.scripts || []));
  return all
    .sort((a, b) => b.duration - a.duration)
    .slice(0, 10)
    .map((s) => ({
      source_url: s.sourceURL ? scrub(s.sourceURL) : undefined,
      source_function_name: s.sourceFunctionName ? cut(s.sourceFunctionName, 256) : undefined,
      invoker: s.invoker ? cut(s.invoker, 1024) : undefined,
      invoker_type: s.invokerType,
      duration: dur(s.duration),
      forced_style_and_layout_duration: dur(s.forcedStyleAndLayoutDuration),
    }));
}

/** web-vitals attribution fields sent per vital (camelCase; the wire name is their snake_case). */
const FIELDS: Record<string, string> = {
  LCP: "target,url,timeToFirstByte,resourceLoadDelay,resourceLoadDuration,elementRenderDelay",
  FCP: "timeToFirstByte,firstByteToFCP",
  TTFB: "waitingDuration,cacheDuration,dnsDuration,connectionDuration,requestDuration",
};
/** The few wire names that are not the snake_case of web-vitals' names. */
const RENAMED: Record<string, string> = { target: "element", url: "resource_url", firstByteToFCP: "first_byte_to_fcp" };

/** A web-vitals metric (attribution build: LCP, FCP or TTFB) as a `vital` event body. */
export function fromWebVitals(m: MetricWithAttribution, scrub: (u: string) => string): VitalEventBody {
  const name = m.name.toLowerCase() as VitalName;
  const x = m.attribution as unknown as Record<string, unknown>;
  const a: Record<string, unknown> = {};
  for (const k of FIELDS[m.name]!.split(",")) {
    const v = x[k];
    if (v == null || v === "") continue;
    a[RENAMED[k] || k.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase())] =
      k === "url" ? scrub(v as string) : typeof v === "number" ? r1(v) : cut(String(v), 1024);
  }
  const value = r1(m.value);
  return { kind: "vital", name, value, rating: rate(name, value), attribution: a as VitalAttribution };
}

/** A layout shift as the per-view CLS needs it. */
export interface Shift {
  value: number;
  time: number;
  target?: string | undefined;
}

/**
 * CLS of a list of shifts (those without recent input): the largest session window,
 * windows ending after 1 s without a shift or 5 s in all. Also the largest single shift.
 */
export function cls(shifts: readonly Shift[]): { value: number; largest?: Shift } {
  let best = 0;
  let cur = 0;
  let first = -Infinity;
  let prev = -Infinity;
  let largest: Shift | undefined;
  for (const s of shifts) {
    if (s.time - prev > 1000 || s.time - first > 5000) {
      cur = 0;
      first = s.time;
    }
    cur += s.value;
    prev = s.time;
    best = Math.max(best, cur);
    if (!largest || s.value > largest.value) largest = s;
  }
  return largest ? { value: best, largest } : { value: best };
}

/**
 * An interaction of the view, from its event-timing entries (same `interactionId`): the
 * longest duration, the earliest start and processing start, the latest processing end.
 */
export interface Interaction {
  duration: number;
  start: number;
  processingStart: number;
  processingEnd: number;
  target?: string | undefined;
  type: string;
}

/** Folds one event-timing entry into the interactions of a view (keyed by interactionId). */
export function addEntry(
  map: Map<number, Interaction>,
  e: { interactionId: number; name: string; startTime: number; duration: number; processingStart: number; processingEnd: number },
  target?: string,
): void {
  const old = map.get(e.interactionId);
  if (!old) {
    map.set(e.interactionId, {
      duration: e.duration,
      start: e.startTime,
      processingStart: e.processingStart,
      processingEnd: e.processingEnd,
      target,
      type: /^key/.test(e.name) ? "keyboard" : "pointer",
    });
    return;
  }
  if (e.duration > old.duration) old.duration = e.duration;
  old.start = Math.min(old.start, e.startTime);
  old.processingStart = Math.min(old.processingStart, e.processingStart);
  old.processingEnd = Math.max(old.processingEnd, e.processingEnd);
  old.target ||= target;
}

/**
 * INP of a view: the worst interaction, or past 50 interactions the 98th percentile (one
 * worst dropped per 50 interactions; `total` counts the short ones the browser did not report).
 */
export function inp(interactions: readonly Interaction[], total = interactions.length): Interaction | undefined {
  const sorted = interactions.slice().sort((a, b) => b.duration - a.duration);
  return sorted[Math.min(sorted.length - 1, Math.floor(Math.max(total, interactions.length) / 50))];
}

/** The INP attribution of an interaction: its sub-parts (input delay, processing, presentation). */
export const inpParts = (i: Interaction) => ({
  interaction_target: i.target,
  interaction_type: i.type,
  interaction_time: r1(i.start),
  input_delay: dur(i.processingStart - i.start),
  processing_duration: dur(i.processingEnd - i.processingStart),
  presentation_delay: dur(Math.max(0, i.start + i.duration - i.processingEnd)),
});
