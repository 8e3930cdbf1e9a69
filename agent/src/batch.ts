// Packing events into beacons that fit the browser's 64 KiB keepalive budget.
//
// A packed beacon is kept without its `sent_at` ("the rest"): `sent_at` must be the time
// of each attempt, so `body()` puts it in front right before every send.

import { PROTOCOL_VERSION } from "./protocol.gen";
import { utf8Length } from "./util";

/** Largest beacon body the agent sends (UTF-8 bytes, uncompressed): two fit in 64 KiB. */
export const MAX_BEACON_BYTES = 30 * 1024;
/** Events per beacon (the server takes 500). */
export const MAX_BEACON_EVENTS = 200;

/** A beacon ready to send, minus its `sent_at`. */
export interface Packed {
  rest: string;
  bytes: number;
}

/** The body of an attempt made at `sentAt` (epoch ms). */
export const body = (p: Packed, sentAt: number): string =>
  '{"v":' + PROTOCOL_VERSION + ',"sent_at":' + sentAt + "," + p.rest;

/** Room for `{"v":1,"sent_at":1767225631904.2,` in front of the rest. */
const HEAD = 40;

/**
 * Splits serialized events into beacons of at most `max` bytes and `maxEvents` events,
 * in order. An event that cannot fit even alone is dropped (the agent trims fields before
 * this, so that only happens to absurd events). Returns the beacons and how many events were dropped.
 */
export function pack(
  contextJson: string,
  events: readonly string[],
  max = MAX_BEACON_BYTES,
  maxEvents = MAX_BEACON_EVENTS,
): { beacons: Packed[]; dropped: number } {
  const open = '"context":' + contextJson + ',"events":[';
  const base = HEAD + utf8Length(open) + 2;
  const beacons: Packed[] = [];
  let dropped = 0;
  let cur: string[] = [];
  let size = base;
  const close = () => {
    if (cur.length) beacons.push({ rest: open + cur.join(",") + "]}", bytes: size });
    cur = [];
    size = base;
  };
  for (const e of events) {
    const n = utf8Length(e) + 1;
    if (base + n > max) {
      dropped++;
      continue;
    }
    if (size + n > max || cur.length >= maxEvents) close();
    cur.push(e);
    size += n;
  }
  close();
  return { beacons, dropped };
}
