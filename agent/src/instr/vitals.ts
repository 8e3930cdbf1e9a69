// Vitals: web-vitals (attribution build) for the page load — LCP, FCP and TTFB once, INP and
// CLS as their latest value, sent when the page-load view ends or the page is hidden — and
// the same INP and CLS definitions computed per view for every later view (SPA routes, bfcache
// restores), from the browser's event-timing and layout-shift entries.

import { onCLS, onFCP, onINP, onLCP, onTTFB, type MetricWithAttribution } from "web-vitals/attribution";
import type { Core, View } from "../agent";
import type { VitalEventBody } from "../protocol.gen";
import { cls, fromWebVitals, inp, rate, scriptsOf, type Interaction, type Shift } from "../vitals";
import { dur, observe, r1, selector } from "../util";
import { recentFrames } from "./perf";

interface ViewInteraction extends Interaction {
  e: PerformanceEventTiming;
}

export function vitals(core: Core): void {
  const first = core.view();
  // Latest INP / CLS of the page-load view, and what was last sent for each view and vital.
  const latest: Record<string, VitalEventBody> = {};
  const sent: Record<string, number> = {};

  const send = (v: View, body: VitalEventBody) => {
    const k = v.id + body.name;
    if (sent[k] === body.value) return;
    sent[k] = body.value;
    core.emit(body, undefined, v);
  };

  const report = (m: MetricWithAttribution) => {
    const v = core.view();
    const body = fromWebVitals(m, core.scrub);
    if (m.name === "INP" || m.name === "CLS") {
      // Page-load view only; later views have their own computation below.
      if (v === first && m.navigationType !== "back-forward-cache") latest[m.name] = body;
      return;
    }
    // LCP, FCP, TTFB: the page load, or the bfcache restore they were measured for.
    if (m.navigationType === "back-forward-cache") {
      if (v.nav === "back_forward_cache") send(v, body);
    } else send(first, body);
  };
  onLCP(report);
  onFCP(report);
  onTTFB(report);
  onINP(report, { reportAllChanges: true });
  onCLS(report, { reportAllChanges: true });

  // Per-view INP and CLS for views after the page load.
  let shifts: Shift[] = [];
  let interactions = new Map<number, ViewInteraction>();
  core.onStart(() => {
    shifts = [];
    interactions = new Map();
  });
  observe("layout-shift", (entries) => {
    const v = core.view();
    for (const e of entries as (PerformanceEntry & { value: number; hadRecentInput: boolean; sources?: { node?: Node | null }[] })[]) {
      if (v.n === 0 || e.hadRecentInput || e.startTime < v.start) continue;
      const src = (e.sources || [])[0];
      shifts.push({ value: e.value, time: e.startTime, target: selector(src?.node) });
    }
  });
  observe(
    "event",
    (entries) => {
      const v = core.view();
      for (const e of entries as PerformanceEventTiming[]) {
        const id = (e as PerformanceEventTiming & { interactionId?: number }).interactionId;
        if (v.n === 0 || !id || e.startTime < v.start) continue;
        const old = interactions.get(id);
        if (!old || e.duration > old.duration) interactions.set(id, { id, duration: e.duration, e });
      }
    },
    { durationThreshold: 40, buffered: false },
  );

  core.onEnd((v, final) => {
    if (v.n === 0) {
      // The page-load view: web-vitals' latest values, final when a route change ended it.
      for (const name of ["INP", "CLS"]) if (latest[name]) send(v, latest[name]!);
      if (!latest.CLS && final) send(v, { kind: "vital", name: "cls", value: 0, rating: "good" });
      return;
    }
    const c = cls(shifts);
    send(v, {
      kind: "vital",
      name: "cls",
      value: Math.round(c.value * 1e4) / 1e4,
      rating: rate("cls", c.value),
      attribution: c.largest
        ? { largest_shift_target: c.largest.target, largest_shift_value: c.largest.value, largest_shift_time: r1(c.largest.time) }
        : undefined,
    });
    const worst = inp([...interactions.values()]);
    if (!worst) return;
    const e = worst.e;
    const end = e.startTime + e.duration;
    send(v, {
      kind: "vital",
      name: "inp",
      value: r1(e.duration),
      rating: rate("inp", e.duration),
      attribution: {
        interaction_target: selector(e.target),
        interaction_type: /^key/.test(e.name) ? "keyboard" : "pointer",
        interaction_time: r1(e.startTime),
        input_delay: dur(e.processingStart - e.startTime),
        processing_duration: dur(e.processingEnd - e.processingStart),
        presentation_delay: dur(Math.max(0, end - e.processingEnd)),
        load_state: document.readyState === "complete" ? "complete" : "dom-interactive",
        scripts: scriptsOf(
          recentFrames().filter((f) => f.startTime < end && f.startTime + f.duration > e.startTime),
          core.scrub,
        ),
      },
    });
  });
}
