// The public API, shared by the script (`window.sightline`, global.ts) and the ESM package
// (index.ts). Calls made before `init` are queued and replayed by it.

import { createAgent, type Agent } from "./agent";
import { resolveConfig, type Consent, type Options } from "./config";
import { errorBody } from "./errors";
import { actions } from "./instr/actions";
import { errors } from "./instr/errors";
import { network } from "./instr/network";
import { perf } from "./instr/perf";
import { pageNavType, views } from "./instr/views";
import { vitals } from "./instr/vitals";
import type { Attributes, UserInfo } from "./protocol.gen";
import { replay, type Call } from "./snippet";
import { routeKey } from "./url";
import { cut, safe } from "./util";

export interface SightlineApi {
  /** Starts the agent; later calls are ignored. Returns whether it started. */
  init(options: Options): boolean;
  /** The signed-in user (`{ id, attributes }`), or null to forget it. */
  setUser(user: UserInfo | null): void;
  /** Global attributes merged into every beacon's context; a null value removes a key. */
  setAttributes(attributes: Record<string, string | number | boolean | null>): void;
  /** A custom event, with an optional numeric value and attributes. */
  addEvent(name: string, value?: number, attributes?: Attributes): void;
  /** An error the application caught (`handled: true`, source `custom`). */
  addError(error: unknown): void;
  /** Names the current view, or starts a new one (manual routing). */
  startView(name?: string): void;
  /** `granted` sends (and flushes what was held), `pending` holds, `denied` drops and stops sending. */
  setConsent(state: Consent): void;
  /** Sends what is queued now. */
  flush(): void;
  /** The current session id, once started. */
  getSessionId(): string | undefined;
  /** The current view id, once started. */
  getViewId(): string | undefined;
  readonly version: string;
}

/** Whether the browser asks not to be tracked (DNT or Global Privacy Control). */
const doNotTrack = (): boolean => {
  const n = navigator as Navigator & { globalPrivacyControl?: boolean; msDoNotTrack?: string };
  return n.doNotTrack === "1" || (window as Window & { doNotTrack?: string }).doNotTrack === "1" || n.globalPrivacyControl === true;
};

const scalars = (a: unknown): Attributes | undefined => {
  if (!a || typeof a !== "object") return undefined;
  const out: Attributes = {};
  for (const [k, v] of Object.entries(a)) if (/^(string|number|boolean)$/.test(typeof v)) out[k] = v as string;
  return out;
};

export function createApi(defaultEndpoint: () => string): SightlineApi {
  let agent: Agent | undefined;
  let started = false;
  const early: Call[] = [];
  const later = (name: string, args: unknown[]) => (started ? false : (early.push([name, ...args]), true));

  const api: SightlineApi = {
    init: (options) => {
      if (started) return false;
      const cfg = resolveConfig(options, defaultEndpoint(), location.origin);
      if (!cfg) return false;
      started = true;
      if (cfg.dnt && doNotTrack()) return false;
      const a = (agent = createAgent(cfg, pageNavType()));
      for (const instrument of [views, vitals, perf, errors, network, actions]) safe(instrument)(a);
      replay(early.splice(0), api as unknown as Record<string, unknown>);
      return true;
    },
    setUser: (user) => {
      if (!later("setUser", [user])) agent?.setUser(user ? { ...user, attributes: scalars(user.attributes) } : null);
    },
    setAttributes: (attrs) => {
      if (!later("setAttributes", [attrs]) && attrs && typeof attrs === "object") agent?.setAttributes(attrs);
    },
    addEvent: (name, value, attributes) => {
      if (later("addEvent", [name, value, attributes]) || !agent || typeof name !== "string" || !name) return;
      agent.emit({
        kind: "custom",
        name: cut(name, 256),
        value: typeof value === "number" && isFinite(value) ? value : undefined,
        attributes: scalars(attributes),
      });
    },
    addError: (error) => {
      if (!later("addError", [error]) && agent) agent.emit(errorBody(error, "custom", agent.scrub));
    },
    startView: (name) => {
      if (later("startView", [name]) || !agent) return;
      const v = agent.view();
      const n = typeof name === "string" && name ? cut(name, 256) : undefined;
      // Naming the view the page is on (e.g. right after the router changed the URL).
      if (n && !v.name && routeKey(v.url) === routeKey(location.href)) v.name = n;
      else agent.startView("route_change", n);
    },
    setConsent: (state) => {
      if (!later("setConsent", [state])) agent?.setConsent(state);
    },
    flush: () => agent?.flush(),
    getSessionId: () => agent?.sessionId(),
    getViewId: () => agent?.view().id,
    version: __AGENT_VERSION__,
  };
  // No call may ever throw into the page.
  for (const k of Object.keys(api) as (keyof SightlineApi)[]) {
    const f = api[k];
    if (typeof f === "function") (api as unknown as Record<string, unknown>)[k] = safe(f as (...a: unknown[]) => unknown);
  }
  return api;
}
