// Sessions: a random id that lasts until 30 minutes without activity or 4 hours in all.
// The sampling decision is taken once, when the session starts, and stored with it.

import type { SamplingReason } from "./protocol.gen";

export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_MAX_MS = 4 * 3_600_000;

/** Sampling state of a session: not drawn, drawn, or kept despite not being drawn. */
export type Sampled = 0 | SamplingReason;

export interface Session {
  id: string;
  /** Epoch ms when it started. */
  start: number;
  /** Epoch ms of the last activity. */
  last: number;
  sampled: Sampled;
}

/** Whether a stored session is still usable at `at` (epoch ms). */
export const isLive = (s: Session | undefined, at: number): s is Session =>
  !!s && at - s.last < SESSION_IDLE_MS && at - s.start < SESSION_MAX_MS && at >= s.start;

/** The session to use at `at`: the stored one while live, else a new one with a fresh sampling draw. */
export function resolveSession(
  stored: Session | undefined,
  at: number,
  rate: number,
  random: () => number,
  newId: () => string,
): { session: Session; renewed: boolean } {
  if (isLive(stored, at)) return { session: { ...stored, last: at }, renewed: false };
  return { session: { id: newId(), start: at, last: at, sampled: random() < rate ? "sampled" : 0 }, renewed: true };
}

const REASONS: Sampled[] = [0, "sampled", "kept_for_error", "kept_for_poor_vital"];

/** `id.start.last.sampled` — short, cookie-safe. */
export const encodeSession = (s: Session): string =>
  [s.id, s.start.toString(36), s.last.toString(36), REASONS.indexOf(s.sampled)].join(".");

export function decodeSession(raw: string | null | undefined): Session | undefined {
  const p = (raw || "").split(".");
  if (p.length !== 4 || !/^[0-9a-f]{8,64}$/.test(p[0]!)) return undefined;
  const start = parseInt(p[1]!, 36);
  const last = parseInt(p[2]!, 36);
  const sampled = REASONS[Number(p[3])];
  if (!(start > 0) || !(last >= start) || sampled === undefined) return undefined;
  return { id: p[0]!, start, last, sampled };
}

/** Where the session lives: `session` (sessionStorage, default), `cookie` (first-party, across tabs), `none`. */
export type StorageMode = "session" | "cookie" | "none";

export interface Store {
  get(key: string): string | null;
  set(key: string, value: string | null): void;
}

/** A key/value store for the mode; falls back to memory when the browser refuses storage. */
export function createStore(mode: StorageMode): Store {
  const mem: Record<string, string> = {};
  const memory: Store = {
    get: (k) => mem[k] ?? null,
    set: (k, v) => {
      if (v == null) delete mem[k];
      else mem[k] = v;
    },
  };
  try {
    if (mode === "session") {
      const ss = sessionStorage;
      ss.setItem("sl_t", "1");
      ss.removeItem("sl_t");
      return {
        get: (k) => ss.getItem(k),
        set: (k, v) => {
          try {
            if (v == null) ss.removeItem(k);
            else ss.setItem(k, v);
          } catch {
            // Quota: keep going without persistence.
          }
        },
      };
    }
    if (mode === "cookie") {
      const secure = location.protocol === "https:" ? ";Secure" : "";
      return {
        get: (k) => {
          const m = document.cookie.match(new RegExp("(?:^|; )" + k + "=([^;]*)"));
          return m ? decodeURIComponent(m[1]!) : mem[k] ?? null;
        },
        set: (k, v) => {
          // Queued beacons are too big for a cookie: they stay in memory.
          if (k !== "sl_s") return memory.set(k, v);
          document.cookie = k + "=" + (v == null ? ";max-age=0" : encodeURIComponent(v) + ";max-age=14400") + ";path=/;SameSite=Lax" + secure;
        },
      };
    }
  } catch {
    // Storage disabled (privacy mode, sandboxed iframe): memory.
  }
  return memory;
}
