// fetch and XMLHttpRequest: method, scrubbed URL, status, duration, sizes, failures and
// aborts, and a W3C `traceparent` for the origins in `tracePropagationTargets` only, its ids
// kept on the event. The agent's own beacons never pass through here: the transport holds
// the original `fetch`, and requests to the intake are skipped anyway.

import type { Core } from "../agent";
import type { RequestEventBody, RequestFailure } from "../protocol.gen";
import { matchesTarget } from "../url";
import { dur, hex, now, on, r1, safe } from "../util";

interface Req {
  method: string;
  url: string;
  start: number;
  trace?: [string, string] | undefined;
  size?: number | undefined;
  /** How an XHR failed, before its loadend. */
  f?: RequestFailure;
}

/** Size of a request body when it is cheap to know (string, Blob, ArrayBuffer or view). */
export const bodySize = (b: unknown): number | undefined => {
  const x = b as { size?: number; byteLength?: number; length?: number } | null | undefined;
  return typeof b === "string" ? b.length : x?.size ?? x?.byteLength;
};

export function network(core: Core): void {
  const own = (url: string) => url.startsWith(core.cfg.ingest);

  const begin = (method: string, url: string, size?: number): Req => {
    const u = new URL(url, location.href);
    const trace = matchesTarget(u, core.cfg.targets) ? ([hex(16), hex(8)] as [string, string]) : undefined;
    core.signal("reaction");
    return { method: (method || "GET").toUpperCase(), url: u.href, start: now(), trace, size };
  };

  const end = (r: Req, api: "fetch" | "xhr", status: number, failure?: RequestFailure, responseSize?: number) => {
    const body: RequestEventBody = {
      kind: "request",
      api,
      method: r.method,
      url: core.scrub(r.url),
      status: status || undefined,
      start: r1(r.start),
      duration: dur(now() - r.start) ?? 6e5,
      request_size: r.size,
      response_size: responseSize,
      failure,
      trace_id: r.trace?.[0],
      span_id: r.trace?.[1],
    };
    core.emit(body);
  };

  const traceparent = (r: Req) => "00-" + r.trace![0] + "-" + r.trace![1] + "-01";
  const contentLength = (h: string | null) => (h && /^\d+$/.test(h) ? Number(h) : undefined);

  // fetch
  const w = window as Window & { fetch: typeof fetch & { __sl?: boolean } };
  const origFetch = w.fetch;
  if (typeof origFetch === "function" && !origFetch.__sl) {
    const patched = function (this: unknown, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      let r: Req | undefined;
      // The page's own arguments, untouched unless a traceparent is added.
      // eslint-disable-next-line prefer-rest-params
      let args: unknown[] = Array.prototype.slice.call(arguments);
      try {
        // A string (the common case) is no Request: the check would make the browser set up the Request interface.
        const isReq = typeof input !== "string" && typeof Request === "function" && input instanceof Request;
        const url = isReq ? (input as Request).url : String(input);
        if (!own(url)) {
          r = begin(init?.method || (isReq ? (input as Request).method : "GET"), url, bodySize(init?.body));
          if (r.trace) {
            const headers = new Headers(init?.headers || (isReq ? (input as Request).headers : undefined));
            if (!headers.has("traceparent")) {
              headers.set("traceparent", traceparent(r));
              args = [input, { ...init, headers }];
            } else r.trace = undefined;
          }
        }
      } catch {
        r = undefined;
        // eslint-disable-next-line prefer-rest-params
        args = Array.prototype.slice.call(arguments);
      }
      const p = origFetch.apply(this === undefined ? window : this, args as [RequestInfo]);
      if (!r) return p;
      const req = r;
      // Reporting must never change what the page sees (safe: nothing thrown here escapes).
      p.then(
        safe((res: Response) => end(req, "fetch", res.status, undefined, contentLength(res.headers.get("content-length")))),
        safe((err: unknown) => end(req, "fetch", 0, (err as { name?: string })?.name === "AbortError" ? "aborted" : "network")),
      );
      return p;
    } as typeof fetch & { __sl?: boolean };
    patched.__sl = true;
    w.fetch = patched;
  }

  // XMLHttpRequest
  const X = window.XMLHttpRequest as (typeof XMLHttpRequest & { __sl?: boolean }) | undefined;
  if (!X || X.__sl) return;
  X.__sl = true;
  const proto = X.prototype;
  // Per XHR object (a page may reuse one for many requests): what open() was given and the
  // request in flight. Its listeners are added once (h), at its first send(). A request is
  // reported once it is done, while its status and headers are still there: at its loadend,
  // or when the page opens the next one first (its own loadend or load handler may run before
  // the agent's and reuse the object at once).
  type State = { m: string; u: string; r?: Req | undefined; h?: 1 | undefined };
  const xhrs = new WeakMap<XMLHttpRequest, State>();
  const done = (xhr: XMLHttpRequest, x: State | undefined) => {
    const q = x?.r;
    if (!q || xhr.readyState < 4) return;
    x!.r = undefined;
    end(q, "xhr", xhr.status, xhr.status ? undefined : q.f || "network", contentLength(xhr.getResponseHeader("content-length")));
  };
  const open = proto.open;
  const send = proto.send;
  proto.open = function (this: XMLHttpRequest, method: string, url: string | URL) {
    try {
      const x = xhrs.get(this);
      done(this, x);
      xhrs.set(this, { m: method, u: String(url), h: x?.h });
    } catch {
      // Keep going.
    }
    // eslint-disable-next-line prefer-rest-params
    return open.apply(this, arguments as unknown as Parameters<typeof open>);
  } as typeof open;
  proto.send = function (this: XMLHttpRequest, b?: Document | XMLHttpRequestBodyInit | null) {
    try {
      const x = xhrs.get(this);
      if (x && !own(x.u)) {
        const xhr = this;
        const r = (x.r = begin(x.m, x.u, bodySize(b)));
        if (r.trace) this.setRequestHeader("traceparent", traceparent(r));
        if (!x.h)
          // A network error needs no listener: a request done without a status failed so.
          for (const type of ["abort", "timeout", "loadend"])
            on(xhr, type, () => {
              const y = xhrs.get(xhr)!;
              if (type === "loadend") done(xhr, y);
              else if (y.r && xhr.readyState > 3) y.r.f = type === "abort" ? "aborted" : "timeout";
            });
        x.h = 1;
      }
    } catch {
      // Keep going.
    }
    return send.call(this, b);
  };
}
