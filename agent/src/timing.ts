// Phases of navigation and resource timing entries, table-driven: each `name:start:end` is a
// duration (end − start), each `name:field` a time since navigation start.

import { dur } from "./util";

export const NAV_PHASES =
  "redirect:redirectStart:redirectEnd,dns:domainLookupStart:domainLookupEnd,connect:connectStart:connectEnd," +
  "tls:secureConnectionStart:connectEnd,request:requestStart:responseStart,ttfb:responseStart," +
  "response:responseStart:responseEnd,dom_interactive:domInteractive,dom_content_loaded:domContentLoadedEventEnd,load:loadEventEnd";

export const RESOURCE_PHASES =
  "dns:domainLookupStart:domainLookupEnd,connect:connectStart:connectEnd,tls:secureConnectionStart:connectEnd," +
  "ttfb:requestStart:responseStart,download:responseStart:responseEnd";

/** Specs split once, not per entry. */
const parsed: Record<string, [string, string, string?][]> = {};

/** The phases of `spec` read from a timing entry; unknown or zero fields leave a phase out. */
export function phases(e: object, spec: string): Record<string, number | undefined> {
  const x = e as Record<string, number>;
  const out: Record<string, number | undefined> = {};
  for (const [name, a, b] of (parsed[spec] ||= spec.split(",").map((p) => p.split(":") as [string, string, string?]))) {
    const start = x[a]!;
    out[name] = !(start > 0) ? undefined : b ? (x[b]! >= start ? dur(x[b]! - start) : undefined) : dur(start);
  }
  return out;
}
