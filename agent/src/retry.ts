// When to try a beacon again: exponential backoff with jitter, never before `Retry-After`.

/** Attempts per beacon before it is given up. */
export const MAX_ATTEMPTS = 6;

/** Answers worth retrying: timeouts, throttling, overload; 0 is a network failure. */
export const retryable = (status: number): boolean => status === 0 || status === 408 || status === 429 || status >= 500;

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), capped at an hour. */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const s = header.trim();
  let secs = /^\d+$/.test(s) ? Number(s) : (Date.parse(s) - nowMs) / 1000;
  if (!(secs >= 0)) return undefined;
  return Math.min(secs, 3600);
}

/**
 * Delay in ms before attempt number `attempt` (1 = the first retry): 1 s doubling up to
 * a minute, jittered down by up to half, and never less than `Retry-After`.
 */
export function backoff(attempt: number, random: number, retryAfterSecs?: number): number {
  const exp = Math.min(60_000, 1000 * 2 ** (attempt - 1));
  const jittered = exp * (0.5 + random / 2);
  return Math.max(jittered, (retryAfterSecs ?? 0) * 1000);
}
