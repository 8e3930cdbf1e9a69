// The loader snippet queues calls made before the agent loads, as `[method, args]` pairs
// (or array-likes from `arguments`). Replaying runs them in order; one bad call never
// stops the others.

export type Call = ArrayLike<unknown>;

export function replay(queue: readonly Call[] | undefined, api: Record<string, unknown>): number {
  let ran = 0;
  for (const call of queue || []) {
    try {
      const args = Array.prototype.slice.call(call);
      const name = args.shift();
      const fn = typeof name === "string" ? api[name] : undefined;
      if (typeof fn === "function") {
        fn.apply(api, args);
        ran++;
      }
    } catch {
      // A bad queued call must not break the page or the calls after it.
    }
  }
  return ran;
}
