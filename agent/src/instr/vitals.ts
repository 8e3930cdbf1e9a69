// Vitals.
//
// - LCP, FCP, TTFB: web-vitals (attribution build), final values, once per page load and once
//   per back/forward-cache restore (web-vitals measures a restore anew, and reports it with
//   navigationType "back-forward-cache"; here it belongs to the restore's view).
// - CLS: per view, for every view, web-vitals' definition (largest session window) over the
//   layout shifts of the view without recent input, with the largest shift, sent when the
//   view ends or the page is hidden. web-vitals' onCLS measures the whole page, not a SPA
//   route, so route views need this computation anyway; using onCLS for the page-load view
//   as well would add 0.39 KiB gzip and put the bundle over its 12 KiB budget (docs/agent.md).
// - INP: per view, for every view, from the event-timing entries of its interactions (the
//   web-vitals definition: worst interaction, 98th percentile past 50), with its sub-parts
//   and the scripts of the long animation frames that overlapped it. web-vitals' INP covers
//   the whole page only, and carrying both would cost 1.6 KiB of the size budget.

import { onFCP, onLCP, onTTFB, type MetricWithAttribution } from "web-vitals/attribution";
import type { Core, View } from "../agent";
import type { VitalEventBody } from "../protocol.gen";
import { observe, r1, safe, selector, takeRecords } from "../util";
import { addEntry, cls, fromWebVitals, inp, inpParts, rate, scriptsOf, type Interaction, type Shift } from "../vitals";
import { recentFrames } from "./perf";

export function vitals(core: Core): void {
  const first = core.view();
  // The latest back/forward-cache restore's view: web-vitals' reports for the restore go to it.
  let restored: View | undefined;
  // What was last sent for each view and vital.
  const sent: Record<string, number> = {};

  const send = (v: View, body: VitalEventBody) => {
    const k = v.id + body.name;
    if (sent[k] === body.value) return;
    sent[k] = body.value;
    core.emit(body, undefined, v);
  };

  // Final values (reportAllChanges off): LCP at the first input or hide, FCP at the paint,
  // TTFB after load. A restore's view starts before web-vitals hears of the restore (the views
  // instrumentation's pageshow listener was added first), so `restored` is set by then.
  // web-vitals calls it from its own listeners and observers: wrapped like every callback.
  const report = safe((m: MetricWithAttribution) => {
    const v = m.navigationType === "back-forward-cache" ? restored : first;
    if (v) send(v, fromWebVitals(m, core.scrub));
  });
  onLCP(report);
  onFCP(report);
  onTTFB(report);

  let shifts: Shift[] = [];
  let interactions = new Map<number, Interaction>();
  const count = () => (performance as Performance & { interactionCount?: number }).interactionCount || 0;
  let countAtStart = 0;
  core.onStart((v) => {
    if (v.nav === "back_forward_cache") restored = v;
    shifts = [];
    largest = 0;
    interactions = new Map();
    countAtStart = count();
  });
  let largest = 0;
  observe("layout-shift", (entries) => {
    const v = core.view();
    for (const e of entries as (PerformanceEntry & { value: number; hadRecentInput: boolean; sources?: { node?: Node | null }[] })[]) {
      if (e.hadRecentInput || e.startTime < v.start || shifts.length >= 500) continue;
      // Only the largest shift's source is sent: the selector of a shift that is not is never needed.
      const target = e.value > largest ? selector((e.sources || [])[0]?.node) : undefined;
      largest = Math.max(largest, e.value);
      shifts.push({ value: e.value, time: e.startTime, target });
    }
  });
  // Interactions of 40 ms and more, plus the first input whatever its duration (as web-vitals).
  // Entries arrive after the next paint, so the click that changed the route arrives once the
  // new view has started: it counts for the new view, whose rendering it waited for.
  const onEvents = (entries: PerformanceEntry[]) => {
    const v = core.view();
    for (const e of entries as (PerformanceEventTiming & { interactionId: number })[])
      if (e.interactionId && e.startTime >= v.start - (v.n ? 1000 : 0))
        // The target's selector once per interaction (its first entry with a target), not per entry.
        addEntry(interactions, e, interactions.get(e.interactionId)?.target || selector(e.target));
  };
  observe("event", onEvents, { durationThreshold: 40 });
  observe("first-input", onEvents);

  core.onEnd((v) => {
    // Entries of the view still on their way to the observer (a shift, an interaction).
    takeRecords();
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
    const worst = inp([...interactions.values()], count() - countAtStart);
    if (!worst) return;
    const end = worst.start + worst.duration;
    send(v, {
      kind: "vital",
      name: "inp",
      value: r1(worst.duration),
      rating: rate("inp", worst.duration),
      attribution: {
        ...inpParts(worst),
        scripts: scriptsOf(
          recentFrames().filter((f) => f.startTime < end && f.startTime + f.duration > worst.start),
          core.scrub,
        ),
      },
    });
  });
}
