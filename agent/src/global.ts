// The script served at /agent.js: one global, `window.sightline`, callable as
// `sightline("init", {...})` (what the loader snippet queues) and as `sightline.init({...})`.
// Loading it twice, or after the page loaded, is safe: a second copy does nothing.

import { createApi, type SightlineApi } from "./api";
import { replay, type Call } from "./snippet";

/** The snippet's stub: `q` the queued calls, `e` the page's error events before the agent ran. */
type Global = ((method: string, ...args: unknown[]) => unknown) & Partial<SightlineApi> & { q?: Call[]; e?: Event[]; __sl?: true };

(() => {
  try {
    const w = window as Window & { sightline?: Global };
    const existing = w.sightline;
    if (existing && existing.__sl) return;
    // The collector that served this script is the default endpoint.
    const src = (document.currentScript as HTMLScriptElement | null)?.src;
    const origin = src ? new URL(src).origin : location.origin;
    const api = createApi(() => origin, existing && existing.e);
    const g = function (method: string, ...args: unknown[]) {
      const f = (api as unknown as Record<string, unknown>)[method];
      return typeof f === "function" ? f(...args) : undefined;
    } as Global;
    Object.assign(g, api, { __sl: true });
    w.sightline = g;
    replay(existing && existing.q, api as unknown as Record<string, unknown>);
  } catch {
    // Never break the page.
  }
})();
