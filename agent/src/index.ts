// The ESM package: `import { init, addEvent } from "@sightline/agent"`.
// Nothing runs at import; `init` starts the agent.

import { createApi } from "./api";

const api = createApi(() => location.origin);

export const init = api.init;
export const setUser = api.setUser;
export const setAttributes = api.setAttributes;
export const addEvent = api.addEvent;
export const addError = api.addError;
export const startView = api.startView;
export const setConsent = api.setConsent;
export const flush = api.flush;
export const getSessionId = api.getSessionId;
export const getViewId = api.getViewId;
export const version = api.version;

export type { SightlineApi } from "./api";
export type { Consent, Options, PrivacyOptions } from "./config";
export type { KeepWith } from "./sampling";
export type { StorageMode } from "./session";
export type * from "./protocol.gen";
