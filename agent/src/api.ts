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

/** `pageErrors`: the page's error events the loader snippet kept before the agent ran (global.ts). */
export function createApi(defaultEndpoint: () => string, pageErrors?: Event[]): SightlineApi {
  let agent: Agent | undefined;
  let started = false;
  const early: Call[] = [];

  // What each call does once the agent runs.
  const impl: Record<string, (a: Agent, ...args: any[]) => void> = {
    setUser: (a, user?: UserInfo | null) => a.setUser(user),
    setAttributes: (a, attrs) => attrs && typeof attrs === "object" && a.setAttributes(attrs),
    addEvent: (a, name, value, attributes) =>
      typeof name === "string" &&
      name &&
      a.emit({
        kind: "custom",
        name: cut(name, 256),
        value: typeof value === "number" && isFinite(value) ? value : undefined,
        // Objects, arrays and nulls are dropped (and counted) by the server.
        attributes,
      }),
    addError: (a, error) => a.emit(errorBody(error, "custom", a.scrub)),
    startView: (a, name) => {
      const v = a.view();
      const n = typeof name === "string" && name ? cut(name, 256) : undefined;
      // Naming the view the page is on (e.g. right after the router changed the URL).
      if (n && !v.name && routeKey(v.url) === routeKey(location.href)) v.name = n;
      else a.startView("route_change", n);
    },
    setConsent: (a, state) => a.setConsent(state),
  };

  const api = {
    init: (options: Options) => {
      if (started) return false;
      const cfg = resolveConfig(options, defaultEndpoint(), location.origin);
      if (!cfg) return false;
      started = true;
      if (cfg.dnt && doNotTrack()) return false;
      const a = (agent = createAgent(cfg, pageNavType()));
      for (const instrument of [views, vitals, perf, errors, network, actions]) safe(instrument)(a, pageErrors);
      replay(early.splice(0), api as unknown as Record<string, unknown>);
      return true;
    },
    flush: () => agent?.flush(),
    getSessionId: () => agent?.sessionId(),
    getViewId: () => agent?.view().id,
    version: __AGENT_VERSION__,
  } as SightlineApi;
  // Calls before init are queued and replayed by it; no call may ever throw into the page.
  for (const k in impl)
    (api as unknown as Record<string, unknown>)[k] = safe((...args: unknown[]) =>
      agent ? impl[k]!(agent, ...args) : started || early.push([k, ...args]),
    );
  api.init = safe(api.init) as SightlineApi["init"];
  return api;
}
