// Vitals as pure logic: mapping web-vitals' attribution build to the wire, ratings, INP per
// view, and the per-view CLS of SPA route views (web-vitals measures the whole page, so route
// views get their own computation, on the same definitions).

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

/** The fields of the navigation entry the page-load vitals read (times on the document's timeline). */
export interface NavLike {
  responseStart: number;
  activationStart?: number;
  workerStart?: number;
  fetchStart: number;
  domainLookupStart: number;
  connectStart: number;
  connectEnd: number;
}

/** A vital event body; `value` rounded (CLS to 1e-4, the others to 0.1 ms) and rated. */
const vital = (name: VitalName, value: number, attribution: VitalAttribution): VitalEventBody => {
  const v = name === "cls" ? Math.round(value * 1e4) / 1e4 : r1(value);
  return { kind: "vital", name, value: v, rating: rate(name, v), attribution };
};

/** Time since the (prerender) activation, never negative: web-vitals' `t - activationStart`. */
const since = (t: number, n?: NavLike): number => Math.max(0, t - (n?.activationStart || 0));

/**
 * TTFB of the page load and its phases, as web-vitals' attribution build defines them
 * (waiting: until the fetch or service worker started; cache: until DNS; then DNS,
 * connection, request), from the navigation entry.
 */
export function ttfbOf(n: NavLike): VitalEventBody {
  const value = since(n.responseStart, n);
  const waiting = since(n.workerStart || n.fetchStart, n);
  const dns = since(n.domainLookupStart, n);
  const connect = since(n.connectStart, n);
  const connected = since(n.connectEnd, n);
  return vital("ttfb", value, {
    waiting_duration: r1(waiting),
    cache_duration: r1(dns - waiting),
    dns_duration: r1(connect - dns),
    connection_duration: r1(connected - connect),
    request_duration: r1(value - connected),
  });
}

/** FCP of the page load from its paint entry's time: time to first byte, then to the paint (web-vitals' attribution). */
export function fcpOf(paint: number, n?: NavLike): VitalEventBody {
  const value = since(paint, n);
  const ttfb = n ? since(n.responseStart, n) : 0;
  return vital("fcp", value, { time_to_first_byte: r1(ttfb), first_byte_to_fcp: r1(value - ttfb) });
}

/** The last largest-contentful-paint candidate: its time, its resource's URL and its element's selector. */
export interface LcpCandidate {
  time: number;
  url?: string | undefined;
  element?: string | undefined;
}

/**
 * LCP of the page load with web-vitals' sub-parts: time to first byte, resource load delay
 * (until the LCP resource's request started), resource load duration, element render delay;
 * they add up to the value. `res` is the LCP resource's timing entry (none for text).
 */
export function lcpOf(
  c: LcpCandidate,
  n: NavLike | undefined,
  res: { startTime: number; requestStart?: number; responseEnd: number } | undefined,
  scrub: (u: string) => string,
): VitalEventBody {
  const value = since(c.time, n);
  const ttfb = n ? since(n.responseStart, n) : 0;
  const loadStart = Math.max(ttfb, res ? since(res.requestStart || res.startTime, n) : 0);
  const loadEnd = Math.min(value, Math.max(loadStart, res ? since(res.responseEnd, n) : 0));
  return vital("lcp", value, {
    element: c.element ? cut(c.element, 1024) : undefined,
    resource_url: c.url ? scrub(c.url) : undefined,
    time_to_first_byte: r1(ttfb),
    resource_load_delay: r1(loadStart - ttfb),
    resource_load_duration: r1(loadEnd - loadStart),
    element_render_delay: r1(value - loadEnd),
  });
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
  id: number;
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
      id: e.interactionId,
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
