// The options of `init`, their defaults, and their checking.

import type { ConsentState, Event } from "./protocol.gen";
import type { KeepWith } from "./sampling";
import type { StorageMode } from "./session";

/** Consent states the application can set (`unknown` is the server's, not ours). */
export type Consent = Exclude<ConsentState, "unknown">;

export interface PrivacyOptions {
  /** Query parameters kept in URLs; every other parameter is removed before sending. Default none. */
  queryAllowlist?: string[];
  /** Never use element text for action names, only `data-sl-name`, `aria-label`, `title`, `alt`. Default false. */
  maskActionText?: boolean;
  /** Send nothing when the browser says Do-Not-Track or Global Privacy Control. Default false. */
  respectDoNotTrack?: boolean;
}

export interface Options {
  /** The project's public ingest key. Required. */
  projectKey: string;
  /** Base URL of the Sightline server. Default: the origin the agent script was loaded from. */
  endpoint?: string;
  /** The application's release or version. */
  release?: string;
  /** Deployment environment, e.g. `production`. */
  environment?: string;
  /** Share of sessions sent, 0–1. Default 1. */
  sessionSampleRate?: number;
  /** Keep an unsampled session anyway when one of these happens (sent as diagnostics). Default none. */
  keepSessionsWith?: KeepWith[];
  /** Origins (or URL prefixes, or regexps) whose requests get a W3C `traceparent`. Default: the page's origin. */
  tracePropagationTargets?: (string | RegExp)[];
  /** Where the session id lives. Default `session` (sessionStorage, no cookies). */
  storage?: StorageMode;
  /** Initial consent. `pending` collects but sends nothing until `setConsent("granted")`. Default `granted`. */
  consent?: Consent;
  privacy?: PrivacyOptions;
  /** Also report `console.error` calls as errors. Default false. */
  captureConsoleErrors?: boolean;
  /** Detect SPA route changes (history API, popstate, hashchange) as new views. Default true. */
  trackViews?: boolean;
  /** Sees every event before it is queued; return a (changed) event, or `null`/`false` to drop it. */
  beforeSend?: (event: Event) => Event | null | false | undefined | void;
}

export interface Config {
  key: string;
  ingest: string;
  release?: string | undefined;
  environment?: string | undefined;
  rate: number;
  keep: KeepWith[];
  targets: (string | RegExp)[];
  storage: StorageMode;
  consent: Consent;
  allow: string[];
  maskText: boolean;
  dnt: boolean;
  console: boolean;
  views: boolean;
  beforeSend?: Options["beforeSend"] | undefined;
}

/** Checks and completes the options; returns undefined when unusable (no project key). */
export function resolveConfig(o: Options, defaultEndpoint: string, pageOrigin: string): Config | undefined {
  if (!o || typeof o.projectKey !== "string" || !o.projectKey) return undefined;
  const rate = o.sessionSampleRate ?? 1;
  const p = o.privacy || {};
  return {
    key: o.projectKey,
    ingest: (o.endpoint || defaultEndpoint).replace(/\/+$/, "") + "/ingest/v1/" + encodeURIComponent(o.projectKey),
    release: o.release,
    environment: o.environment,
    rate: rate >= 0 && rate <= 1 ? rate : 1,
    keep: o.keepSessionsWith || [],
    targets: o.tracePropagationTargets || [pageOrigin],
    storage: o.storage || "session",
    consent: o.consent || "granted",
    allow: p.queryAllowlist || [],
    maskText: !!p.maskActionText,
    dnt: !!p.respectDoNotTrack,
    console: !!o.captureConsoleErrors,
    views: o.trackViews !== false,
    beforeSend: o.beforeSend,
  };
}
