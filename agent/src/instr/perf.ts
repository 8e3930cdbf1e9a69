// Performance of a view beyond vitals: long animation frames (long tasks where LoAF is
// missing), User Timing marks and measures, the resource summary, and engagement (scroll
// depth, time visible), the last two sent when the view ends or the page is hidden.

import type { Core, View } from "../agent";
import type { ResourceEventBody } from "../protocol.gen";
import { addResource, emptySummary, notable, type Summary } from "../resources";
import { RESOURCE_PHASES, phases } from "../timing";
import { hostOf, site } from "../url";
import { cut, dur, now, observe, on, r1 } from "../util";
import { scriptsOf, type ScriptLike } from "../vitals";

type Frame = PerformanceEntry & { blockingDuration?: number; scripts?: ScriptLike[] };
type Res = PerformanceResourceTiming & { renderBlockingStatus?: string };

let frames: Frame[] = [];
/** The last long animation frames, for INP attribution of route views. */
export const recentFrames = (): Frame[] => frames;

/** Per view: at most this many long frames and User Timing events. */
const CAP = 30;

export function perf(core: Core): void {
  let count = { loaf: 0, ut: 0 };
  let summary: Summary<Res> = emptySummary();
  let sentRes = new Set<Res>();
  let depth = 0;
  let visibleMs = 0;
  let visibleSince: number | undefined = document.visibilityState === "visible" ? now() : undefined;
  const pageSite = site(location.hostname);
  const pageHost = location.host;

  core.onStart(() => {
    count = { loaf: 0, ut: 0 };
    summary = emptySummary();
    sentRes = new Set();
    depth = 0;
    visibleMs = 0;
    visibleSince = document.visibilityState === "visible" ? now() : undefined;
    measureScroll();
  });

  const loaf = (entries: PerformanceEntry[], fallback: boolean) => {
    for (const f of entries as Frame[]) {
      if (!fallback) frames = frames.concat(f).slice(-20);
      if (count.loaf++ >= CAP) continue;
      core.emit(
        {
          kind: "long_animation_frame",
          start: r1(f.startTime),
          duration: dur(f.duration) ?? 6e5,
          blocking_duration: dur(f.blockingDuration),
          long_task_fallback: fallback,
          scripts: fallback ? undefined : scriptsOf([f], core.scrub),
        },
        f.startTime + f.duration,
      );
    }
  };
  if (!observe("long-animation-frame", (e) => loaf(e, false))) observe("longtask", (e) => loaf(e, true));

  const userTiming = (entries: PerformanceEntry[]) => {
    for (const e of entries) {
      if (count.ut++ >= CAP) continue;
      const measure = e.entryType === "measure";
      core.emit(
        { kind: "custom", name: cut(e.name, 256), value: r1(measure ? e.duration : e.startTime), attributes: { user_timing: e.entryType } },
        e.startTime,
      );
    }
  };
  observe("mark", userTiming);
  observe("measure", userTiming);

  // The resource summary, from the browser's resource timing buffer when the view ends: one
  // pass over the entries added since the last read, instead of a callback per batch
  // of entries as they load. The buffer keeps 250 entries unless the page raised it; once it
  // is full, later entries come from an observer (those of the moment it filled up are lost).
  let last: PerformanceEntry | undefined;
  let full = false;
  /** The host of a third-party URL (another site than the page's), else "". */
  const thirdParty = (url: string) => {
    const host = hostOf(url);
    return host && host !== pageHost && site(host.split(":")[0]!) !== pageSite ? host : "";
  };
  const summarize = (entries: PerformanceEntry[]) => {
    for (const r of entries as Res[]) {
      if (/^(fetch|xmlhttprequest|beacon)$/.test(r.initiatorType) || r.name.startsWith(core.cfg.ingest)) continue;
      addResource(summary, r, thirdParty(r.name));
    }
  };
  const readBuffer = () => {
    if (full) return;
    const all: PerformanceEntry[] = performance.getEntriesByType("resource");
    // The entries after the last one read (all of them if the page cleared the buffer since).
    summarize(all.slice(all.lastIndexOf(last!) + 1));
    last = all[all.length - 1] || last;
  };
  on(performance, "resourcetimingbufferfull", () => {
    if (full) return;
    readBuffer();
    full = true;
    observe("resource", summarize, { buffered: false });
  });

  // Scroll depth: the furthest the bottom of the viewport went, as a share of the page.
  const measureScroll = () => {
    const h = document.documentElement.scrollHeight;
    if (h > 0) depth = Math.max(depth, Math.min(100, Math.round(((scrollY + innerHeight) / h) * 100)));
  };
  let lastScroll = 0;
  // The document's scrolls only (they bubble to the window; a scrolling element's do not).
  on(
    window,
    "scroll",
    () => {
      const t = now();
      if (t - lastScroll > 100) {
        lastScroll = t;
        measureScroll();
      }
    },
    true,
  );
  on(document, "visibilitychange", () => {
    if (document.visibilityState === "visible") visibleSince = now();
    else if (visibleSince != null) {
      visibleMs += now() - visibleSince;
      visibleSince = undefined;
    }
  });

  core.onEnd((v: View) => {
    readBuffer();
    for (const r of notable(summary)) {
      if (sentRes.has(r)) continue;
      sentRes.add(r);
      const body: ResourceEventBody = {
        kind: "resource",
        url: core.scrub(r.name),
        initiator: r.initiatorType,
        start: r1(r.startTime),
        duration: dur(r.duration) ?? 6e5,
        ...phases(r, RESOURCE_PHASES),
        transfer_size: r.transferSize,
        encoded_body_size: r.encodedBodySize,
        decoded_body_size: r.decodedBodySize,
        render_blocking: r.renderBlockingStatus === "blocking",
        third_party: !!thirdParty(r.name),
      };
      core.emit(body, r.responseEnd || r.startTime, v);
    }
    measureScroll();
    const visible = visibleMs + (visibleSince != null ? now() - visibleSince : 0);
    core.emit(
      {
        kind: "custom",
        name: "view_summary",
        value: Math.round(visible),
        attributes: {
          time_visible_ms: Math.round(visible),
          scroll_depth_pct: depth,
          resource_count: summary.count,
          resource_transfer_bytes: summary.bytes,
          third_party_hosts: summary.thirdParty.size,
        },
      },
      undefined,
      v,
    );
  });
}
