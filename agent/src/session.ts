// Sessions: a random id that lasts until 30 minutes without activity or 4 hours in all.
// The sampling decision is taken once, when the session starts, and stored with it, as is
// view ids start with the session id (see createAgent), so the rows of one session share a
// prefix and compress to almost nothing on disk.

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
): Session {
  return isLive(stored, at) ? { ...stored, last: at } : { id: newId(), start: at, last: at, sampled: random() < rate ? "sampled" : 0 };
}

/** Stored as JSON `[id, start, last, sampled]` (older agents added a view count: ignored). */
export const encodeSession = (s: Session): string => JSON.stringify([s.id, s.start, s.last, s.sampled]);

export function decodeSession(raw: string | null | undefined): Session | undefined {
  // Nothing stored (every first page of a session): no parse, no exception to throw and catch.
  if (!raw) return undefined;
  try {
    const [id, start, last, sampled] = JSON.parse(raw) as [string, number, number, Sampled];
    if (/^[0-9a-f]{8,64}$/.test(id) && start > 0 && last >= start && (sampled === 0 || typeof sampled === "string"))
      return { id, start, last, sampled };
  } catch {
    // Unreadable: a new session.
  }
  return undefined;
}

/** Where the session lives: `session` (sessionStorage, default), `cookie` (first-party, across tabs), `none`. */
export type StorageMode = "session" | "cookie" | "none";

export interface Store {
  get(key: string): string | null;
  set(key: string, value: string | null): void;
}

/**
 * A key/value store for the mode. Memory backs everything, so a browser that refuses storage
 * (privacy mode, sandboxed iframe, quota) only loses persistence. Cookies hold the session
 * only; queued beacons are too big for them.
 */
export function createStore(mode: StorageMode): Store {
  const mem: Record<string, string | null> = {};
  return {
    get(k) {
      try {
        if (mode === "session") return sessionStorage.getItem(k);
        if (mode === "cookie" && k === "sl_s") {
          const m = document.cookie.match(/(?:^|; )sl_s=([^;]*)/);
          return m ? decodeURIComponent(m[1]!) : null;
        }
      } catch {
        // Fall back to memory.
      }
      return mem[k] ?? null;
    },
    set(k, v) {
      mem[k] = v;
      try {
        if (mode === "session") v == null ? sessionStorage.removeItem(k) : sessionStorage.setItem(k, v);
        else if (mode === "cookie" && k === "sl_s")
          document.cookie =
            "sl_s=" + (v == null ? ";max-age=0" : encodeURIComponent(v) + ";max-age=14400") + ";path=/;SameSite=Lax" + (location.protocol === "https:" ? ";Secure" : "");
      } catch {
        // Memory only.
      }
    },
  };
}
