// Session sampling with "keep sessions with": an unsampled session holds its recent
// events in a bounded buffer; an error or a poor vital upgrades it, and the buffer is sent.

import type { Event, SamplingReason } from "./protocol.gen";
import type { Sampled } from "./session";

/** What can upgrade an unsampled session. */
export type KeepWith = "errors" | "poorVitals";

export interface Gate {
  /** The session's sampling state; changes once, on an upgrade. */
  sampled: Sampled;
  /** Events of an unsampled session, oldest first, at most `max`. */
  buffer: Event[];
}

/** The reason an event upgrades an unsampled session, if it does. */
export function upgradeReason(e: Event, keep: readonly KeepWith[]): SamplingReason | undefined {
  if (e.kind === "error" && keep.includes("errors")) return "kept_for_error";
  if (e.kind === "vital" && e.rating === "poor" && keep.includes("poorVitals")) return "kept_for_poor_vital";
  return undefined;
}

/**
 * Passes one event through the gate; returns the events to send now (none, this one, or
 * the buffered ones followed by this one when it upgrades the session).
 */
export function admit(gate: Gate, e: Event, keep: readonly KeepWith[], max = 200): Event[] {
  if (gate.sampled) return [e];
  if (!keep.length) return [];
  const reason = upgradeReason(e, keep);
  if (reason) {
    gate.sampled = reason;
    const out = gate.buffer.concat(e);
    gate.buffer = [];
    return out;
  }
  gate.buffer.push(e);
  if (gate.buffer.length > max) gate.buffer.shift();
  return [];
}
