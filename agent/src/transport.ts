// Delivery of packed beacons.
//
// - While the page lives: `fetch` with `keepalive` as long as the bytes in flight stay inside
//   the browser's 64 KiB keepalive budget (plain `fetch` past it), gzip-compressed with
//   CompressionStream when that exists and the body is worth it (`?encoding=gzip`, so no
//   preflight is needed), the answer read: 2xx done; 408/429/5xx/network failure retried
//   with backoff; 429/503 `Retry-After` pauses every send until then.
// - When the page is hidden: `sendBeacon` (synchronous, survives the unload), uncompressed,
//   inside the same budget: its bytes count as in flight for BEACON_HOLD_MS (the browser
//   does not say when a beacon is done). What cannot go (paused by `Retry-After`, over the
//   budget) stays queued: sent if the page comes back, lost if it is closed — `Retry-After`
//   is obeyed even then.
// - A bounded retry queue: the oldest beacons are dropped first.

import { body, type Packed } from "./batch";
import { backoff, MAX_ATTEMPTS, parseRetryAfter, retryable } from "./retry";
import { safe } from "./util";

/** The browser's budget for keepalive bodies in flight, with a little room. */
export const KEEPALIVE_BUDGET = 60 * 1024;
/** How long a sendBeacon's bytes count towards the budget. */
export const BEACON_HOLD_MS = 5000;
/** Beacons waiting for a retry. */
export const MAX_PENDING = 30;
/** Compress bodies larger than this. */
const COMPRESS_OVER = 1024;

export interface TransportDeps {
  fetch: typeof fetch;
  beacon?: ((url: string, data: string) => boolean) | undefined;
  clock: () => number;
  random: () => number;
  compress?: ((s: string) => Promise<Uint8Array>) | undefined;
}

interface Pending {
  p: Packed;
  /** Attempts made. */
  n: number;
  /** Not before this epoch ms. */
  at: number;
}

export interface Transport {
  send(p: Packed, hiding: boolean): void;
  /** Sends what is due now (hiding: everything not paused), keeps the rest for later. */
  drain(hiding: boolean): void;
  pending(): number;
}

export function createTransport(url: string, d: TransportDeps): Transport {
  let queue: Pending[] = [];
  let paused = 0;
  let inflight = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const keep = (x: Pending) => {
    queue.push(x);
    if (queue.length > MAX_PENDING) queue.shift();
    arm();
  };

  const arm = () => {
    if (timer) clearTimeout(timer);
    if (!queue.length) return;
    const next = Math.max(paused, Math.min(...queue.map((x) => x.at)));
    timer = setTimeout(safe(() => t.drain(false)), Math.max(0, next - d.clock()) + 5);
  };

  async function attempt(x: Pending): Promise<void> {
    x.n++;
    const text = body(x.p, d.clock());
    let data: string | Uint8Array = text;
    let target = url;
    if (d.compress && x.p.bytes > COMPRESS_OVER) {
      try {
        data = await d.compress(text);
        target += "?encoding=gzip";
      } catch {
        data = text;
      }
    }
    const size = typeof data === "string" ? x.p.bytes : data.byteLength;
    const keepalive = inflight + size <= KEEPALIVE_BUDGET;
    if (keepalive) inflight += size;
    let status = 0;
    let retryAfter: string | null = null;
    try {
      const res = await d.fetch(target, {
        method: "POST",
        body: data as BodyInit,
        keepalive,
        credentials: "omit",
        mode: "cors",
      });
      status = res.status;
      retryAfter = res.headers.get("retry-after");
    } catch {
      status = 0;
    } finally {
      if (keepalive) inflight -= size;
    }
    if (status >= 200 && status < 300) return;
    if (!retryable(status) || x.n >= MAX_ATTEMPTS) return;
    const ra = parseRetryAfter(retryAfter, d.clock());
    if ((status === 429 || status === 503) && ra != null) paused = Math.max(paused, d.clock() + ra * 1000);
    x.at = d.clock() + backoff(x.n, d.random(), ra);
    keep(x);
  }

  const t: Transport = {
    send(p, hiding) {
      keep({ p, n: 0, at: 0 });
      t.drain(hiding);
    },
    drain(hiding) {
      const nowMs = d.clock();
      if (nowMs < paused) return arm();
      const due = hiding ? queue : queue.filter((x) => x.at <= nowMs);
      queue = queue.filter((x) => !due.includes(x));
      for (const x of due) {
        const size = x.p.bytes;
        // At page hide: sendBeacon, within the keepalive budget it shares with fetch.
        if (!hiding) void attempt(x);
        else if (inflight + size <= KEEPALIVE_BUDGET && d.beacon?.(url, body(x.p, nowMs))) {
          inflight += size;
          setTimeout(() => (inflight -= size), BEACON_HOLD_MS);
        } else queue.push(x);
      }
      arm();
    },
    pending: () => queue.length,
  };
  return t;
}

/** gzip with CompressionStream, when the browser has it. */
export function gzipper(): ((s: string) => Promise<Uint8Array>) | undefined {
  if (typeof CompressionStream !== "function") return undefined;
  return async (s) => {
    const stream = new Blob([s]).stream().pipeThrough(new CompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  };
}
