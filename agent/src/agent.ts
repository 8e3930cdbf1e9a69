// The agent's core: session, views, context, the event path (beforeSend → folding → sampling
// gate → queue) and batching. Instrumentations (instr/*) only call `emit`, `signal` and the
// view hooks; they never send anything themselves.
//
// The path of one event:
//   instrumentation → emit(): session touched (renewed after 30 min idle / 4 h, with a new
//   view) → stamped with id, time and view → beforeSend → identical errors folded → sampling gate
//   (unsampled sessions buffer, upgraded by an error or a poor vital) → queue → flush on
//   count, bytes, time or page hide (consent `granted` only) → pack() into ≤ 30 KiB beacons →
//   transport.

import { pack } from "./batch";
import type { Config, Consent } from "./config";
import { createFolder } from "./fold";
import type { Attributes, Context, Event, EventBody, NavigationType, UserInfo } from "./protocol.gen";
import { admit, type Gate } from "./sampling";
import { createStore, decodeSession, encodeSession, isLive, resolveSession, type Session } from "./session";
import { createTransport, gzipper, type Transport } from "./transport";
import { scrubUrl } from "./url";
import { hex, now, on, r1, rid, safe } from "./util";

/** Flush when this many events are queued… */
const FLUSH_EVENTS = 40;
/** …or they weigh this many bytes (JSON)… */
const FLUSH_BYTES = 16 * 1024;
/** …or the oldest has waited this long. */
const FLUSH_MS = 5000;
/** Events held while consent is pending or before a flush, oldest dropped first. */
const MAX_QUEUE = 500;

export interface View {
  /** `<session id>.<page id>.<n>`: the page id is random per page instance (tab, page load), so
   *  two pages of a session never share a view id, whatever they stored. */
  id: string;
  name?: string | undefined;
  /** The page URL, scrubbed. */
  url: string;
  /** Start on the document's timeline. */
  start: number;
  nav: NavigationType;
  /** 0 for the page load, then 1, 2, … */
  n: number;
  /** The next event id: events are numbered 0, 1, … per view (ids are unique within their view). */
  e: number;
  /** Its `view` event, while it may still be relabelled (soft navigation). */
  ev?: Event | undefined;
}

export type Signal = "error" | "reaction";

export interface Core {
  cfg: Config;
  scrub(url: string): string;
  /** The current view. */
  view(): View;
  emit(body: EventBody, t?: number, view?: View): Event | undefined;
  /** Frustration bus: an error, or a reaction (DOM change, navigation, request). */
  signal(s: Signal): void;
  listen(s: Signal, fn: () => void): void;
  /** Called when a view starts. */
  onStart(fn: (v: View) => void): void;
  /** Called when a view ends (`final`) or the page is hidden while it is current (not final). */
  onEnd(fn: (v: View, final: boolean) => void): void;
  /** `between`: runs after the old view ended, before the new one starts. */
  startView(nav: NavigationType, name?: string, between?: () => void): View;
}

export interface Agent extends Core {
  setUser(user: UserInfo | null | undefined): void;
  setAttributes(attrs: Record<string, string | number | boolean | null>): void;
  setConsent(c: Consent): void;
  flush(hiding?: boolean): void;
  sessionId(): string;
}

export function createAgent(cfg: Config, firstNav: NavigationType): Agent {
  const store = createStore(cfg.storage);
  // The page's URL is read only for a relative URL (reading it is not free, and most are absolute).
  const pageUrl = () => location.href;
  const scrub = (u: string) => scrubUrl(u, cfg.allow, pageUrl);
  let consent: Consent = cfg.consent;

  // Session and sampling.
  let session: Session = resolveSession(decodeSession(store.get("sl_s")), Date.now(), cfg.rate, Math.random, rid);
  let gate: Gate = { sampled: session.sampled, buffer: [] };
  let savedAt = 0;
  const save = (force?: boolean) => {
    if (consent !== "granted" || (!force && session.last - savedAt < 5000)) return;
    savedAt = session.last;
    store.set("sl_s", encodeSession(session));
  };
  save(true);

  // Views. Nothing shared between pages is counted (two tabs, or a duplicated tab's copy of
  // sessionStorage, would count alike): a view id is the session id, this page's random id
  // (40 bits) and the view's number in the page.
  const page = hex(5);
  const viewId = (n: number) => session.id + "." + page + "." + n;
  let view: View = { id: viewId(0), url: scrub(location.href), start: 0, nav: firstNav, n: 0, e: 0 };
  const starts: ((v: View) => void)[] = [];
  const ends: ((v: View, final: boolean) => void)[] = [];
  const listeners: Record<Signal, (() => void)[]> = { error: [], reaction: [] };

  // Context parts that do not change.
  const nav = navigator as Navigator & Record<string, any>;
  const hints = nav.userAgentData;
  let user: UserInfo | undefined;
  let attributes: Attributes = {};
  const referrer = (() => {
    try {
      return document.referrer ? new URL(document.referrer).origin + "/" : undefined;
    } catch {
      return undefined;
    }
  })();

  function context(): Context {
    const c = nav.connection;
    return {
      agent: { name: "sightline-browser", version: __AGENT_VERSION__ },
      session_id: session.id,
      view_id: view.id,
      url: view.url,
      view_name: view.name,
      referrer,
      viewport: { width: Math.round(innerWidth), height: Math.round(innerHeight) },
      device: { memory_gb: nav.deviceMemory, cores: nav.hardwareConcurrency },
      connection: c
        ? { effective_type: c.effectiveType, rtt_ms: c.rtt, downlink_mbps: c.downlink, save_data: c.saveData, connection_type: c.type }
        : undefined,
      client_hints: hints ? { brands: hints.brands, mobile: hints.mobile, platform: hints.platform } : undefined,
      release: cfg.release,
      environment: cfg.environment,
      user,
      attributes,
      consent,
      sample_rate: cfg.rate > 0 ? cfg.rate : undefined,
      sampling_reason: gate.sampled || undefined,
      time_origin: r1(performance.timeOrigin),
    };
  }

  // Queue and delivery.
  let queue: Event[] = [];
  let queuedBytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const folder = createFolder();
  const nativeFetch = window.fetch.bind(window);
  let transport: Transport | undefined;
  const deliver = () =>
    (transport ||= createTransport(cfg.ingest, {
      fetch: nativeFetch,
      beacon: nav.sendBeacon ? (u, d) => nav.sendBeacon(u, d) : undefined,
      clock: Date.now,
      random: Math.random,
      compress: gzipper(),
    }));

  function enqueue(e: Event) {
    queue.push(e);
    queuedBytes += JSON.stringify(e).length;
    if (queue.length > MAX_QUEUE) queue.shift();
    if (queue.length >= FLUSH_EVENTS || queuedBytes >= FLUSH_BYTES) agent.flush();
    else timer ||= setTimeout(safe(() => agent.flush()), FLUSH_MS);
  }

  function flush(hiding = false) {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (consent !== "granted") return;
    if (queue.length) {
      const ctx = context();
      const events = queue.map((e) => {
        if (e.view_id === ctx.view_id) {
          delete e.view_id;
          delete e.view_url;
          delete e.view_name;
        }
        return JSON.stringify(e);
      });
      queue = [];
      queuedBytes = 0;
      folder.reset();
      for (const b of pack(JSON.stringify(ctx), events).beacons) deliver().send(b, hiding);
    }
    // Beacons waiting for a retry (only a transport that exists can hold any).
    transport?.drain(hiding);
    save(true);
  }

  function touch() {
    const at = Date.now();
    // The common case: the session is live, only its last activity moves (no new objects).
    if (isLive(session, at)) {
      session.last = at;
      return save();
    }
    // A new session starts a new view of the same page: the old view ends in the old session
    // (its last values, then a flush with the old context). Until it is replaced, the old
    // session counts as live again, so that those last events do not renew it once more.
    const next = resolveSession(session, at, cfg.rate, Math.random, rid);
    const old: Session = session;
    old.start = old.last = at;
    agent.startView("route_change", view.name, () => {
      agent.flush();
      gate = { sampled: next.sampled, buffer: [] };
      session = next;
      save(true);
    });
  }

  const agent: Agent = {
    cfg,
    scrub,
    view: () => view,
    emit(b, t = now(), v) {
      if (consent === "denied") return undefined;
      touch();
      v ||= view;
      let e = { ...b, id: "" + v.e++, t: r1(t), view_id: v.id, view_url: v.url, view_name: v.name } as Event;
      if (cfg.beforeSend) {
        try {
          const out = cfg.beforeSend(e);
          if (out === null || out === false) return undefined;
          if (out && typeof out === "object") e = out;
        } catch {
          // A throwing beforeSend keeps the event unchanged.
        }
      }
      if (e.kind === "error") {
        agent.signal("error");
        if (folder.fold(e)) return e;
      }
      const before = gate.sampled;
      for (const x of admit(gate, e, cfg.keep)) enqueue(x);
      if (gate.sampled !== before) {
        session.sampled = gate.sampled;
        save(true);
        agent.flush();
      }
      return e;
    },
    signal(s) {
      for (const fn of listeners[s]) fn();
    },
    listen(s, fn) {
      listeners[s].push(safe(fn));
    },
    onStart(fn) {
      starts.push(safe(fn));
    },
    onEnd(fn) {
      ends.push(safe(fn));
    },
    startView(navType, name, between) {
      const prev = view;
      agent.signal("reaction");
      for (const fn of ends) fn(prev, true);
      between?.();
      view = { id: viewId(prev.n + 1), name, url: scrub(location.href), start: now(), nav: navType, n: prev.n + 1, e: 0 };
      // Events of the old view still queued keep their view_id stamps: they stay with their view.
      for (const fn of starts) fn(view);
      return view;
    },
    setUser(u) {
      user = u && typeof u === "object" ? { id: u.id != null ? String(u.id).slice(0, 256) : undefined, attributes: u.attributes } : undefined;
    },
    setAttributes(attrs) {
      const next: Attributes = { ...attributes };
      for (const k in attrs) {
        const v = attrs[k];
        if (v == null) delete next[k];
        else if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") next[k] = v;
      }
      attributes = next;
    },
    setConsent(c) {
      if (c !== "granted" && c !== "denied" && c !== "pending") return;
      consent = c;
      if (c === "denied") {
        queue = [];
        gate.buffer = [];
        store.set("sl_s", null);
      }
      if (c === "granted") agent.flush();
    },
    flush: safe(flush),
    sessionId: () => session.id,
  };

  // Page lifecycle: end-of-view work and a flush whenever the page may be going away —
  // once per hide (`pagehide` usually follows `visibilitychange`).
  let hidden = false;
  const hide = () => {
    if (hidden) return;
    hidden = true;
    for (const fn of ends) fn(view, false);
    agent.flush(true);
  };
  on(document, "visibilitychange", () => (document.visibilityState === "hidden" ? hide() : (hidden = false)));
  on(window, "pagehide", hide);
  on(window, "pageshow", () => (hidden = false));
  return agent;
}
