// The resource timing summary of a view, as pure logic: instead of every resource, the
// slowest ones, the render-blocking ones and the slowest of each third-party site, plus totals.

/** The fields of a PerformanceResourceTiming the summary reads. */
export interface ResourceLike {
  name: string;
  initiatorType: string;
  startTime: number;
  duration: number;
  transferSize?: number;
  renderBlockingStatus?: string;
}

export interface Summary<R extends ResourceLike> {
  count: number;
  bytes: number;
  slowest: R[];
  blocking: R[];
  /** Slowest resource of each third-party host (at most 10 hosts). */
  thirdParty: Map<string, R>;
}

export const emptySummary = <R extends ResourceLike>(): Summary<R> => ({
  count: 0,
  bytes: 0,
  slowest: [],
  blocking: [],
  thirdParty: new Map(),
});

/** Adds one resource; `host` is its third-party host, or "" for first party. Memory stays bounded. */
export function addResource<R extends ResourceLike>(s: Summary<R>, r: R, host: string, keep = 5): void {
  s.count++;
  s.bytes += r.transferSize || 0;
  // Inserted in place (after its equals), not pushed and sorted: this runs per resource.
  let i = s.slowest.length;
  while (i && s.slowest[i - 1]!.duration < r.duration) i--;
  if (i < keep) s.slowest.splice(i, 0, r);
  if (s.slowest.length > keep) s.slowest.pop();
  if (r.renderBlockingStatus === "blocking" && s.blocking.length < keep) s.blocking.push(r);
  if (host) {
    const old = s.thirdParty.get(host);
    if (old ? r.duration > old.duration : s.thirdParty.size < 10) s.thirdParty.set(host, r);
  }
}

/** The notable resources, each once, slowest first. */
export function notable<R extends ResourceLike>(s: Summary<R>): R[] {
  const all = new Set([...s.slowest, ...s.blocking, ...s.thirdParty.values()]);
  return [...all].sort((a, b) => b.duration - a.duration);
}
