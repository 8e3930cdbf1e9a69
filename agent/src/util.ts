// Small helpers shared by the agent's modules. No side effects at import.

/** Random lowercase hex of `bytes` bytes (crypto when present, else Math.random). */
export function hex(bytes: number): string {
  const a = new Uint8Array(bytes);
  const c = globalThis.crypto;
  if (c && c.getRandomValues) c.getRandomValues(a);
  else for (let i = 0; i < bytes; i++) a[i] = (Math.random() * 256) | 0;
  let s = "";
  for (let i = 0; i < bytes; i++) s += (a[i]! + 256).toString(16).slice(1);
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

/** addEventListener with a wrapped callback; returns the remover. */
export function on(
  target: EventTarget,
  type: string,
  fn: (e: any) => void,
  opts: AddEventListenerOptions = { capture: true, passive: true },
): () => void {
  const w = safe(fn);
  target.addEventListener(type, w, opts);
  return () => target.removeEventListener(type, w, opts);
}

/** A PerformanceObserver for one entry type when the browser knows it; returns the observer. */
export function observe(
  type: string,
  fn: (entries: PerformanceEntry[]) => void,
  opts: PerformanceObserverInit & { durationThreshold?: number } = {},
): PerformanceObserver | undefined {
  try {
    if (!PerformanceObserver.supportedEntryTypes.includes(type)) return undefined;
    const o = new PerformanceObserver(safe((list: PerformanceObserverEntryList) => fn(list.getEntries())));
    o.observe({ type, buffered: true, ...opts });
    return o;
  } catch {
    return undefined;
  }
}

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
    const cls = (el.getAttribute("class") || "").split(/\s+/).filter((c) => /^[A-Za-z_-][\w-]{0,40}$/.test(c));
    if (cls.length) part += "." + cls.slice(0, 2).join(".");
    parts.unshift(part);
    if (el.localName === "body") break;
    el = el.parentElement;
  }
  return parts.length ? parts.join(" > ") : undefined;
}

/** UTF-8 length of a string, without allocating. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? (i++, 4) : 3;
  }
  return n;
}
