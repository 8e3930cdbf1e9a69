// Vitals as pure logic: mapping web-vitals' attribution build to the wire, ratings, and the
// per-view INP and CLS of SPA route views (web-vitals measures the whole page, so route views
// get their own computation, on the same definitions).

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

/** A web-vitals metric (attribution build) as a `vital` event body. */
export function fromWebVitals(m: MetricWithAttribution, scrub: (u: string) => string): VitalEventBody {
  const name = m.name.toLowerCase() as VitalName;
  let a: VitalAttribution = {};
  switch (m.name) {
    case "LCP": {
      const x = m.attribution;
      a = {
        element: x.target,
        resource_url: x.url ? scrub(x.url) : undefined,
        time_to_first_byte: dur(x.timeToFirstByte),
        resource_load_delay: dur(x.resourceLoadDelay),
        resource_load_duration: dur(x.resourceLoadDuration),
        element_render_delay: dur(x.elementRenderDelay),
      };
      break;
    }
    case "INP": {
      const x = m.attribution;
      a = {
        interaction_target: x.interactionTarget || undefined,
        interaction_type: x.interactionType,
        interaction_time: x.interactionTime != null ? r1(x.interactionTime) : undefined,
        input_delay: dur(x.inputDelay),
        processing_duration: dur(x.processingDuration),
        presentation_delay: dur(x.presentationDelay),
        load_state: x.loadState,
        scripts: scriptsOf(x.longAnimationFrameEntries as never, scrub),
      };
      break;
    }
    case "CLS": {
      const x = m.attribution;
      a = {
        largest_shift_target: x.largestShiftTarget,
        largest_shift_value: x.largestShiftValue,
        largest_shift_time: x.largestShiftTime != null ? r1(x.largestShiftTime) : undefined,
        load_state: x.loadState,
      };
      break;
    }
    case "FCP":
      a = { time_to_first_byte: dur(m.attribution.timeToFirstByte), first_byte_to_fcp: dur(m.attribution.firstByteToFCP) };
      break;
    case "TTFB": {
      const x = m.attribution;
      a = {
        waiting_duration: dur(x.waitingDuration),
        cache_duration: dur(x.cacheDuration),
        dns_duration: dur(x.dnsDuration),
        connection_duration: dur(x.connectionDuration),
        request_duration: dur(x.requestDuration),
      };
    }
  }
  const value = name === "cls" ? Math.round(m.value * 1e4) / 1e4 : r1(m.value);
  return { kind: "vital", name, value, rating: rate(name, value), attribution: a };
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

/** An interaction of the view: the longest event-timing entry of one `interactionId`. */
export interface Interaction {
  id: number;
  duration: number;
}

/** INP of a view: the worst interaction, or the 98th percentile past 50 interactions (one worst dropped per 50). */
export function inp<T extends Interaction>(interactions: readonly T[]): T | undefined {
  const sorted = interactions.slice().sort((a, b) => b.duration - a.duration);
  return sorted[Math.min(sorted.length - 1, Math.floor(interactions.length / 50))];
}
