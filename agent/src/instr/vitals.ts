// Vitals.
//
// - LCP, FCP, TTFB of the page load: web-vitals (attribution build), once; after a
//   back/forward-cache restore, web-vitals' values for the restored view.
// - CLS: per view, for every view, the web-vitals definition (largest session window) over the
//   layout shifts of the view, sent when it ends or the page is hidden, with the largest shift.
//   (web-vitals' onCLS measured the page load alone, re-attributed on every shift, and cost
//   main-thread time and size that this computation, needed for later views anyway, does not.)
// - INP: per view, for every view, from the event-timing entries of its interactions (the
//   web-vitals definition: worst interaction, 98th percentile past 50), with its sub-parts
//   and the scripts of the long animation frames that overlapped it. web-vitals' INP covers
//   the whole page only, and carrying both would cost 1.6 KiB of the size budget.

import { onFCP, onLCP, onTTFB, type MetricWithAttribution } from "web-vitals/attribution";
import type { Core, View } from "../agent";
import type { VitalEventBody } from "../protocol.gen";
import { r1, observe, selector } from "../util";
import { addEntry, cls, fromWebVitals, inp, inpParts, rate, scriptsOf, type Interaction, type Shift } from "../vitals";
import { recentFrames } from "./perf";

export function vitals(core: Core): void {
  const first = core.view();
  // What was last sent for each view and vital.
  const sent: Record<string, number> = {};

  const send = (v: View, body: VitalEventBody) => {
    const k = v.id + body.name;
    if (sent[k] === body.value) return;
    sent[k] = body.value;
    core.emit(body, undefined, v);
  };

  const report = (m: MetricWithAttribution) => {
    const v = core.view();
    if (m.navigationType !== "back-forward-cache") send(first, fromWebVitals(m, core.scrub));
    else if (v.nav === "back_forward_cache") send(v, fromWebVitals(m, core.scrub));
  };
  onLCP(report);
  onFCP(report);
  onTTFB(report);

  let shifts: Shift[] = [];
  let interactions = new Map<number, Interaction>();
  const count = () => (performance as Performance & { interactionCount?: number }).interactionCount || 0;
  let countAtStart = 0;
  core.onStart(() => {
    shifts = [];
    interactions = new Map();
    countAtStart = count();
  });
  observe("layout-shift", (entries) => {
    const v = core.view();
    for (const e of entries as (PerformanceEntry & { value: number; hadRecentInput: boolean; sources?: { node?: Node | null }[] })[]) {
      if (!e.hadRecentInput && e.startTime >= v.start && shifts.length < 500)
        shifts.push({ value: e.value, time: e.startTime, target: selector((e.sources || [])[0]?.node) });
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
