// Frustration signals of clicks, as pure logic: the DOM glue (instr/actions.ts) feeds clicks
// and what happened after them.
//
// - rage: 3 or more clicks within 1 s, each within RAGE_RADIUS px of the previous one;
// - dead: nothing happened within DEAD_WINDOW_MS of the first click (no DOM change,
//   navigation or request) on an element where a click is expected to do something;
// - error: an error happened within 1 s of the click.

export const RAGE_CLICKS = 3;
export const RAGE_WINDOW_MS = 1000;
export const RAGE_RADIUS = 32;
export const DEAD_WINDOW_MS = 1000;

export interface Click {
  t: number;
  x: number;
  y: number;
}

export interface Cluster {
  first: Click;
  last: Click;
  count: number;
  /** Something visible happened after the first click: DOM change, navigation, request. */
  reaction: boolean;
  error: boolean;
}

export const startCluster = (c: Click): Cluster => ({ first: c, last: c, count: 1, reaction: false, error: false });

/** Whether click `c` belongs to the cluster (same spot, within the rage window). */
export const joins = (k: Cluster, c: Click): boolean =>
  c.t - k.first.t <= RAGE_WINDOW_MS && Math.hypot(c.x - k.last.x, c.y - k.last.y) <= RAGE_RADIUS;

/** Adds a click that `joins` the cluster. */
export function add(k: Cluster, c: Click): void {
  k.last = c;
  k.count++;
}

/** The signals of a finished cluster; `deadEligible` is false for form fields and the like. */
export const verdict = (k: Cluster, deadEligible: boolean): { rage: boolean; dead: boolean; error: boolean } => ({
  rage: k.count >= RAGE_CLICKS,
  dead: deadEligible && !k.reaction,
  error: k.error,
});
