// Views: the page load (with navigation timing and Server-Timing, sent once `load` is done
// or at the first hide), SPA route changes (history API, popstate, hashchange; the browser's
// soft-navigation entries where it has them, labelled `soft_navigation`), and back/forward
// cache restores — each a new view.

import type { Core, View } from "../agent";
import type { NavigationType, ServerTiming } from "../protocol.gen";
import { NAV_PHASES, phases } from "../timing";
import { routeKey } from "../url";
import { cut, dur, now, observe, on, safe } from "../util";

/** How the document was loaded, on the wire's spelling. */
export function pageNavType(): NavigationType {
  const e = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
  const d = document as Document & { prerendering?: boolean; wasDiscarded?: boolean };
  if (d.prerendering || ((e as unknown as { activationStart?: number })?.activationStart ?? 0) > 0) return "prerender";
  if (d.wasDiscarded) return "restore";
  const t = e?.type;
  return t === "reload" ? "reload" : t === "back_forward" ? "back_forward" : "navigate";
}

export function serverTimingOf(e: PerformanceResourceTiming): ServerTiming[] {
  return (e.serverTiming || []).slice(0, 16).map((s) => ({
    name: cut(s.name, 256),
    duration: s.duration ? dur(s.duration) : undefined,
    description: s.description ? cut(s.description, 1024) : undefined,
  }));
}

export function views(core: Core): void {
  // The page load's view event: after `load` (once loadEventEnd is set) or at the first hide.
  let loadSent = false;
  const sendLoad = () => {
    if (loadSent) return;
    loadSent = true;
    const first = core.view();
    const e = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    core.emit(
      {
        kind: "view",
        navigation_type: first.nav,
        timing: e ? phases(e, NAV_PHASES) : undefined,
        transfer_size: e?.transferSize,
        encoded_body_size: e?.encodedBodySize,
        decoded_body_size: e?.decodedBodySize,
        server_timing: e ? serverTimingOf(e) : undefined,
      },
      0,
      first,
    );
  };
  if (document.readyState === "complete") setTimeout(safe(sendLoad), 0);
  else on(window, "load", () => setTimeout(safe(sendLoad), 0));
  core.onEnd((v) => v.n === 0 && sendLoad());

  // Every later view announces itself when it starts.
  core.onStart((v: View) => {
    v.ev = core.emit({ kind: "view", navigation_type: v.nav }, v.start, v);
  });

  // Back/forward cache restore: a new view.
  on(window, "pageshow", (e: PageTransitionEvent) => e.persisted && core.startView("back_forward_cache"));

  if (!core.cfg.views) return;

  // SPA route changes.
  let key = routeKey(location.href);
  const changed = () => {
    const k = routeKey(location.href);
    if (k === key) return;
    key = k;
    core.startView("route_change");
  };
  const h = history as History & Record<string, any>;
  for (const m of ["pushState", "replaceState"]) {
    const orig = h[m];
    if (typeof orig !== "function" || orig.__sl) continue;
    const patched = function (this: History, ...args: unknown[]) {
      const out = orig.apply(this, args);
      safe(changed)();
      return out;
    };
    patched.__sl = true;
    h[m] = patched;
  }
  on(window, "popstate", changed);
  on(window, "hashchange", changed);

  // The browser's own soft navigations (where it reports them) relabel the view the URL
  // change just started: its view event is usually still queued.
  observe("soft-navigation", () => {
    const v = core.view();
    if (v.ev?.kind === "view" && now() - v.start < 1000) v.ev.navigation_type = "soft_navigation";
  });
}
