// Vitals.
//
// - LCP, FCP, TTFB of the page load: web-vitals (attribution build), once; after a
//   back/forward-cache restore, web-vitals' values for the restored view.
// - CLS: web-vitals for the page-load view (its latest value, sent when that view ends or the
//   page is hidden); for later views (SPA routes, bfcache restores) the same definition
//   (largest session window) over the layout shifts of the view.
// - INP: per view, for every view, from the event-timing entries of its interactions (the
//   web-vitals definition: worst interaction, 98th percentile past 50), with its sub-parts
//   and the scripts of the long animation frames that overlapped it. web-vitals' INP covers
//   the whole page only, and carrying both would cost 1.6 KiB of the size budget.

import { onCLS, onFCP, onLCP, onTTFB, type MetricWithAttribution } from "web-vitals/attribution";
import type { Core, View } from "../agent";
import type { VitalEventBody } from "../protocol.gen";
import { r1, observe, selector } from "../util";
import { addEntry, cls, fromWebVitals, inp, inpParts, rate, scriptsOf, type Interaction, type Shift } from "../vitals";
import { recentFrames } from "./perf";

export function vitals(core: Core): void {
  const first = core.view();
  // Latest CLS of the page-load view, and what was last sent for each view and vital.
  let pageCls: VitalEventBody | undefined;
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
    const restored = m.navigationType === "back-forward-cache";
    // CLS: the page-load view only; later views have their own computation below.
    if (m.name === "CLS") {
      if (v === first && !restored) pageCls = body;
    } else if (!restored) send(first, body);
    else if (v.nav === "back_forward_cache") send(v, body);
  };
  onLCP(report);
  onFCP(report);
  onTTFB(report);
  onCLS(report, { reportAllChanges: true });

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
      if (v.n && !e.hadRecentInput && e.startTime >= v.start)
        shifts.push({ value: e.value, time: e.startTime, target: selector((e.sources || [])[0]?.node) });
    }
  });
  // Interactions of 40 ms and more, plus the first input whatever its duration (as web-vitals).
  // Entries arrive after the next paint, so the click that changed the route arrives once the
  // new view has started: it counts for the new view, whose rendering it waited for.
  const onEvents = (entries: PerformanceEntry[]) => {
    const v = core.view();
    for (const e of entries as (PerformanceEventTiming & { interactionId: number })[])
      if (e.interactionId && e.startTime >= v.start - (v.n ? 1000 : 0)) addEntry(interactions, e, selector(e.target));
  };
  observe("event", onEvents, { durationThreshold: 40 });
  observe("first-input", onEvents);

  core.onEnd((v, final) => {
    if (!v.n) {
      if (pageCls) send(v, pageCls);
      else if (final) send(v, { kind: "vital", name: "cls", value: 0, rating: "good" });
    } else {
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
    }
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
