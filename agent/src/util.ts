// Small helpers shared by the agent's modules. No side effects at import.

/** Random lowercase hex of `bytes` bytes, never all zeros (W3C trace ids must not be). */
export function hex(bytes: number): string {
  const a = crypto.getRandomValues(new Uint8Array(bytes));
  a[0] ||= 1;
  let s = "";
  for (const b of a) s += (b + 256).toString(16).slice(1);
  return s;
}

/** A fresh random id (128 bits). */
export const rid = (): string => hex(16);

/** Milliseconds on the document's timeline. */
export const now = (): number => performance.now();

/** Rounds to 0.1: the wire does not need more, and it keeps beacons short. */
export const r1 = (x: number): number => Math.round(x * 10) / 10;

/** Non-negative finite duration rounded to 0.1 ms, else undefined. */
export const dur = (x: number | undefined): number | undefined =>
  x != null && x >= 0 && x < 6e5 ? r1(x) : undefined;

/** Cuts a string to `max` characters (the server trims bytes again; this bounds what we hold). */
export const cut = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);

/** Runs `fn` and swallows anything it throws: no agent exception ever reaches the host page. */
export function safe<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R | undefined {
  return function (this: unknown, ...args: A) {
    try {
      return fn.apply(this, args);
    } catch {
      return undefined;
    }
  };
}

/** addEventListener (passive; capture unless `bubble`) with a wrapped callback. */
export const on = (target: EventTarget, type: string, fn: (e: any) => void, bubble?: boolean): void =>
  target.addEventListener(type, safe(fn), { capture: !bubble, passive: true });

let types: readonly string[] | undefined;
let hub: PerformanceObserver | undefined;
const handlers: Record<string, (entries: PerformanceEntry[]) => void> = {};

/** Hands entries to their type's handler, one call per type present. */
const dispatch = (entries: PerformanceEntry[]) => {
  const byType: Record<string, PerformanceEntry[]> = {};
  for (const e of entries) (byType[e.entryType] ||= []).push(e);
  for (const t in byType) handlers[t]?.(byType[t]!);
};

/**
 * Observes one entry type (buffered) when the browser knows it; returns whether it does.
 * Every type goes through one PerformanceObserver: the browser then calls the agent once
 * for the entries of several types that arrive together, not once per type.
 */
export function observe(
  type: string,
  fn: (entries: PerformanceEntry[]) => void,
  opts: { durationThreshold?: number; buffered?: boolean } = {},
): boolean {
  try {
    if (!(types ||= PerformanceObserver.supportedEntryTypes).includes(type)) return false;
    handlers[type] = safe(fn);
    (hub ||= new PerformanceObserver(safe((list: PerformanceObserverEntryList) => dispatch(list.getEntries())))).observe({
      type,
      buffered: true,
      ...opts,
    } as PerformanceObserverInit);
    return true;
  } catch {
    return false;
  }
}

/** Delivers the entries the browser has not handed to the observer yet (before a view's values are computed). */
export const takeRecords = (): void => {
  if (hub) dispatch(hub.takeRecords());
};

/** A short CSS selector for an element: up to four levels, stopping at an id. */
export function selector(node: Node | null | undefined): string | undefined {
  let el = node && node.nodeType === 1 ? (node as Element) : node?.parentElement;
  const parts: string[] = [];
  while (el && parts.length < 4 && el.nodeType === 1) {
    let part = el.localName;
    if (el.id && /^[A-Za-z][\w-]{0,63}$/.test(el.id)) {
      parts.unshift(part + "#" + el.id);
      break;
    }
    for (const c of [...el.classList].filter((c) => /^[a-z_-][\w-]{0,40}$/i.test(c)).slice(0, 2)) part += "." + c;
    parts.unshift(part);
    if (el.localName === "body") break;
    el = el.parentElement;
  }
  return parts.length ? parts.join(" > ") : undefined;
}

/** UTF-8 length of a string. */
export const utf8Length = (s: string): number => (/[^\0-\x7f]/.test(s) ? new TextEncoder().encode(s).length : s.length);
