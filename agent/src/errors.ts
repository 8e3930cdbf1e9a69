// Turning whatever was thrown into an `error` event body (pure).

import type { ErrorEventBody, ErrorSource } from "./protocol.gen";
import { cut } from "./util";

const int = (n: unknown): number | undefined => (typeof n === "number" && n >= 0 && n < 4e9 ? Math.floor(n) : undefined);

/** An error body from a thrown value (Error, string, anything). */
export function errorBody(
  thrown: unknown,
  source: ErrorSource,
  scrub: (u: string) => string,
  where: { file?: string | undefined; line?: number | undefined; column?: number | undefined; message?: string | undefined } = {},
): ErrorEventBody {
  const err = thrown as { name?: unknown; message?: unknown; stack?: unknown } | null | undefined;
  const isErr = !!err && typeof err === "object" && "message" in err;
  let message = isErr ? String(err!.message) : where.message ?? stringify(thrown);
  const type = isErr && typeof err!.name === "string" ? err!.name : undefined;
  return {
    kind: "error",
    error_type: type ? cut(type, 128) : undefined,
    message: cut(message || "(no message)", 4096),
    stack: isErr && typeof err!.stack === "string" ? cut(err!.stack, 16384) : undefined,
    source,
    handled: source === "custom",
    source_url: where.file ? scrub(where.file) : undefined,
    line: int(where.line),
    column: int(where.column),
    count: 1,
  };
}

/** A readable string of any value, never throwing. */
export function stringify(v: unknown): string {
  try {
    return typeof v === "string" ? v : (v as Error)?.message ?? JSON.stringify(v);
  } catch {
    return String(v);
  }
}
