// Repeated identical errors are folded into one event with a `count`, until that event
// has been sent: an error thrown in a loop costs one event per beacon, not thousands.

import type { EventOfKind } from "./protocol.gen";

type ErrorEvent = EventOfKind<"error">;

/** What makes two errors the same. */
export const errorKey = (e: ErrorEvent): string =>
  [e.source, e.error_type, e.message, e.source_url, e.line, e.column, e.view_id].join("|");

export interface Folder {
  /** Returns true when `e` was folded into an unsent twin (so it must not be queued). */
  fold(e: ErrorEvent): boolean;
  /** Call when the queued events have been handed to the transport. */
  reset(): void;
}

export function createFolder(): Folder {
  let seen = new Map<string, ErrorEvent>();
  return {
    fold(e) {
      const key = errorKey(e);
      const twin = seen.get(key);
      if (twin) {
        twin.count = (twin.count ?? 1) + (e.count ?? 1);
        return true;
      }
      if (seen.size < 100) seen.set(key, e);
      return false;
    },
    reset() {
      seen = new Map();
    },
  };
}
