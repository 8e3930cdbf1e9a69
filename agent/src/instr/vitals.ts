// Vitals.
//
// - LCP, FCP, TTFB of the page load: once, when its view ends or the page is first hidden,
//   with web-vitals' definitions and attribution fields (LCP: element, resource URL, time to
//   first byte, resource load delay and duration, element render delay; FCP: time to first
//   byte, first byte to FCP; TTFB: waiting, cache, DNS, connection, request), computed here
//   from one LCP observer and the paint and navigation entries. After a back/forward-cache
//   restore, the restored view's, as web-vitals measures them. (web-vitals' attribution build
//   did this with three observers, listeners on input and visibility, an idle callback, and a
//   walk of every resource entry for each LCP candidate: 2.1 KiB gzip of the bundle and about
//   a millisecond of main-thread time per page load, measured in bench/agent-overhead.)
// - CLS: per view, for every view, the web-vitals definition (largest session window) over the
//   layout shifts of the view, sent when it ends or the page is hidden, with the largest shift.
//   (web-vitals' onCLS measured the page load alone, re-attributed on every shift, and cost
//   main-thread time and size that this computation, needed for later views anyway, does not.)
// - INP: per view, for every view, from the event-timing entries of its interactions (the
//   web-vitals definition: worst interaction, 98th percentile past 50), with its sub-parts
//   and the scripts of the long animation frames that overlapped it. web-vitals' INP covers
//   the whole page only, and carrying both would cost 1.6 KiB of the size budget.

import type { Core, View } from "../agent";
import type { VitalEventBody } from "../protocol.gen";
import { now, observe, r1, safe, selector, takeRecords } from "../util";
import { addEntry, cls, fcpOf, inp, inpParts, lcpOf, rate, scriptsOf, ttfbOf, type Interaction, type LcpCandidate, type NavLike, type Shift } from "../vitals";
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

  // LCP, FCP and TTFB of the page load, sent when its view ends or the page is first hidden
  // (web-vitals reports LCP then too, or at the first input, after which the browser stops
  // reporting candidates). LCP candidates come from the observer (they are in no buffer); the
  // paint and navigation entries are read once, at the end. Candidates after the page was
  // first hidden do not count (as in web-vitals).
  // Hidden from the start (a background tab), unless prerendering (activated later), as web-vitals.
  let hiddenAt = document.visibilityState === "hidden" && !(document as Document & { prerendering?: boolean }).prerendering ? 0 : Infinity;
  let lcp: LcpCandidate | undefined;
  let loadSent = false;
  const candidates = (entries: PerformanceEntry[]) => {
    const e = entries[entries.length - 1] as (PerformanceEntry & { url?: string; element?: Element | null }) | undefined;
    // The element's selector now: it may leave the DOM later.
    if (e && e.startTime < hiddenAt) lcp = { time: e.startTime, url: e.url, element: selector(e.element) };
  };
  observe("largest-contentful-paint", (entries) => loadSent || candidates(entries));
  core.onEnd((v) => {
    // Entries of the view still on their way to the observer (a shift, an interaction, a candidate).
    takeRecords();
    if (v !== first || loadSent) return;
    loadSent = true;
    hiddenAt = Math.min(hiddenAt, now());
    const p = performance;
    const n = p.getEntriesByType("navigation")[0] as (PerformanceEntry & NavLike) | undefined;
    // A page hidden before it was first painted (a background tab): no FCP or LCP.
    const hidden = p.getEntriesByType("visibility-state").find((e) => e.name === "hidden" && e.startTime > (n?.activationStart || 0));
    if (hidden) hiddenAt = Math.min(hiddenAt, hidden.startTime);
    if (n && n.responseStart > 0) send(first, ttfbOf(n));
    const fcp = p.getEntriesByName("first-contentful-paint")[0];
    if (fcp && fcp.startTime < hiddenAt) send(first, fcpOf(fcp.startTime, n));
    if (lcp && lcp.time < hiddenAt) {
      const res = lcp.url ? (p.getEntriesByName(lcp.url, "resource")[0] as PerformanceResourceTiming | undefined) : undefined;
      send(first, lcpOf(lcp, n, res, core.scrub));
    }
  });
  // A back/forward-cache restore: TTFB 0, FCP and LCP when the restored page is painted
  // (two animation frames after pageshow), as web-vitals measures them.
  core.onStart((v) => {
    if (v.nav !== "back_forward_cache") return;
    send(v, ttfbOf({ responseStart: 0, fetchStart: 0, domainLookupStart: 0, connectStart: 0, connectEnd: 0 }));
    requestAnimationFrame(
      safe(() =>
        requestAnimationFrame(
          safe(() => {
            const t = now() - v.start;
            send(v, fcpOf(t));
            send(v, lcpOf({ time: t }, undefined, undefined, core.scrub));
          }),
        ),
      ),
    );
  });

  let shifts: Shift[] = [];
  let interactions = new Map<number, Interaction>();
  const count = () => (performance as Performance & { interactionCount?: number }).interactionCount || 0;
  let countAtStart = 0;
  core.onStart(() => {
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
