// Talking to the server: the session cookie (sent by the browser), the CSRF header on every
// write, errors as `{code, message}` with the message shown to the user.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** The input field to blame (`invalid_setting`). */
    readonly field?: string,
  ) {
    super(message);
  }
}

type Listener = () => void;
let onUnauthorized: Listener = () => {};
/** Called when any request answers 401: the session ended. */
export function setUnauthorizedHandler(listener: Listener): void {
  onUnauthorized = listener;
}

async function readError(response: Response): Promise<ApiError> {
  let code = "http_" + response.status;
  let message = `The server answered ${response.status} ${response.statusText}.`;
  let field: string | undefined;
  try {
    type Detail = { code?: string; message?: string; field?: string };
    const body = (await response.json()) as Detail & { error?: Detail };
    const error = body.error ?? body;
    if (typeof error.code === "string") code = error.code;
    if (typeof error.message === "string") message = error.message;
    if (typeof error.field === "string") field = error.field;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, code, message, field);
}

// The server runs a few queries at once (api.max_concurrent_queries, 4 by default), queues
// the next for a while (api.queue_wait_ms) and answers 503 past that: keep at most three in
// flight, and retry a 503 after Retry-After.
// Background requests (the filter bar's lists of values) wait while a page's own requests
// do, so that a page shows its data first.
const MAX_IN_FLIGHT = 3;
let inFlight = 0;
const waiting: Array<() => void> = [];
const waitingBackground: Array<() => void> = [];
async function slot(background: boolean): Promise<() => void> {
  // A macrotask: the page's requests made in the same render queue first.
  if (background) await new Promise((go) => setTimeout(go, 0));
  if (inFlight >= MAX_IN_FLIGHT || (background && waiting.length > 0)) {
    await new Promise<void>((go) => (background ? waitingBackground : waiting).push(go));
  }
  inFlight++;
  return () => {
    inFlight--;
    (waiting.shift() ?? waitingBackground.shift())?.();
  };
}

export async function request<T>(
  method: string,
  path: string,
  options: { body?: unknown; params?: Record<string, string | undefined>; signal?: AbortSignal; quiet401?: boolean; background?: boolean } = {},
): Promise<T> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(options.params ?? {})) if (value !== undefined) query.set(key, value);
  const url = query.size ? `${path}?${query}` : path;
  const headers: Record<string, string> = { accept: "application/json" };
  if (method !== "GET") headers["x-sightline-csrf"] = "1";
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let response: Response | undefined;
  for (let attempt = 0; ; attempt++) {
    const release = await slot(options.background ?? false);
    try {
      options.signal?.throwIfAborted();
      response = await fetch(url, {
        method,
        headers,
        credentials: "same-origin",
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new ApiError(0, "network", "The server cannot be reached. Check that sightline is running, then reload.");
    } finally {
      release();
    }
    if (response.status !== 503 || attempt >= 4) break;
    const wait = Math.min(5, Number(response.headers.get("retry-after")) || 1);
    await new Promise((go) => setTimeout(go, wait * 1000 * (0.5 + Math.random())));
  }
  if (!response.ok) {
    const error = await readError(response);
    if (response.status === 401 && !options.quiet401) onUnauthorized();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

// --- session -------------------------------------------------------------------------------

export interface SessionInfo {
  user: string;
}

export const getSession = () => request<SessionInfo>("GET", "/api/v1/session", { quiet401: true });
export const login = (user: string, password: string) =>
  request<SessionInfo>("POST", "/api/v1/session", { body: { user, password }, quiet401: true });
export const logout = () => request<void>("DELETE", "/api/v1/session", { quiet401: true });

// --- projects ------------------------------------------------------------------------------

export interface Project {
  id: string;
  name?: string;
}

export const getProjects = (signal?: AbortSignal) =>
  request<{ projects: Project[] }>("GET", "/api/v1/projects", { signal });

/** The settings a dashboard user may change (`PUT /api/v1/projects/{id}/settings`). */
export interface ProjectSettings {
  allowed_origins: string[];
  allowed_hosts: string[];
  retention_days: number;
  sample_rate: number;
  honor_do_not_track: boolean;
  drop_bots: boolean;
}

/** One project's settings and ingest key (`GET /api/v1/projects/{id}`). */
export interface ProjectDetail {
  id: string;
  name: string;
  ingest_key: string;
  enabled: boolean;
  settings: ProjectSettings;
  /** The same settings as the configuration file sets them. */
  configured: ProjectSettings;
  /** Fields changed in the dashboard, which override the configuration file. */
  changed: Array<keyof ProjectSettings>;
  changed_at?: string | null;
  changed_by?: string | null;
  fixed: {
    query_allowlist: string[];
    route_patterns: string[];
    rate_limit_per_second: number;
    rate_limit_burst: number;
    max_routes: number;
    max_event_names: number;
    max_attribute_keys: number;
  };
  /** Whether this user may change the settings. */
  editable: boolean;
}

const projectPath = (id: string) => `/api/v1/projects/${encodeURIComponent(id)}`;
export const getProject = (id: string, signal?: AbortSignal) => request<ProjectDetail>("GET", projectPath(id), { signal });
export const changeProject = (id: string, settings: Partial<ProjectSettings>) =>
  request<ProjectDetail>("PUT", projectPath(id) + "/settings", { body: settings });
export const resetProject = (id: string) => request<ProjectDetail>("DELETE", projectPath(id) + "/settings");

// --- queries -------------------------------------------------------------------------------

const cache = new Map<string, unknown>();
const CACHE_SIZE = 100;

/**
 * One query of the typed model; answers are cached by project and body for back/forward.
 * A `background` query waits while the page's own ones do.
 */
export async function query<T>(project: string, body: unknown, signal?: AbortSignal, background = false): Promise<T> {
  const key = project + "\n" + JSON.stringify(body);
  if (cache.has(key)) return cache.get(key) as T;
  const answer = await request<T>("POST", "/api/v1/query", { body, params: { project }, signal, background });
  cache.set(key, answer);
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  return answer;
}

export interface SqlAnswer {
  columns: Array<{ name: string; data_type: string }>;
  rows: unknown[][];
  truncated: boolean;
}

export async function sql(project: string, statement: string, signal?: AbortSignal, maxRows = 200): Promise<SqlAnswer> {
  const key = project + "\nsql\n" + statement;
  if (cache.has(key)) return cache.get(key) as SqlAnswer;
  const answer = await request<SqlAnswer>("POST", "/api/v1/sql", {
    body: { sql: statement, max_rows: maxRows },
    params: { project },
    signal,
  });
  cache.set(key, answer);
  return answer;
}

export { sqlString } from "./sqlfilter";

/** Rows of a SQL answer as objects keyed by column name. */
export function sqlRows(answer: SqlAnswer): Array<Record<string, unknown>> {
  return answer.rows.map((row) => Object.fromEntries(answer.columns.map((c, i) => [c.name, row[i]])));
}

export const clearCache = () => cache.clear();

// --- outcomes ------------------------------------------------------------------------------

export interface OutcomeBucket {
  time: string;
  accepted: number;
  /** Not accepted whole or in part, by `category: reason` (rejected, dropped, trimmed, folded). */
  dropped: Record<string, number>;
}

const CATEGORIES = ["rejected", "dropped", "trimmed", "folded"] as const;

/** Per-bucket accepted events and outcomes by reason (`GET /api/v1/outcomes`). */
export async function outcomes(project: string, from: string, to: string, bucketMinutes: number, signal?: AbortSignal): Promise<OutcomeBucket[]> {
  const raw = await request<{ buckets: Array<Record<string, unknown>> }>("GET", "/api/v1/outcomes", {
    params: { project, from, to, bucket_minutes: String(bucketMinutes) },
    signal,
  });
  return (raw.buckets ?? []).map((b) => {
    const dropped: Record<string, number> = {};
    for (const category of CATEGORIES) {
      const reasons = b[category];
      if (reasons && typeof reasons === "object") {
        for (const [reason, count] of Object.entries(reasons as Record<string, unknown>)) dropped[`${category}: ${reason}`] = Number(count) || 0;
      }
    }
    return { time: String(b.start ?? b.time ?? ""), accepted: Number(b.accepted) || 0, dropped };
  });
}
