// Errors: uncaught exceptions, unhandled rejections, failed resource loads, CSP violations,
// and optionally console.error. Identical errors are folded by the core. The loader snippet
// keeps the `error` and `unhandledrejection` events of the page until the agent runs (at most
// 50): they are reported first, at the time they happened.

import type { Core } from "../agent";
import { errorBody, stringify } from "../errors";
import { on, safe } from "../util";

export function errors(core: Core, early: Event[] = []): void {
  const onError = (e: ErrorEvent | Event) => {
    if (e instanceof ErrorEvent) {
      core.emit(
        errorBody(e.error, "unhandled", core.scrub, { file: e.filename, line: e.lineno, column: e.colno, message: e.message }),
        e.timeStamp,
      );
      return;
    }
    // Resource load failures do not bubble; the capture listener sees them with the element.
    const el = e.target as (Element & { src?: string; href?: string; currentSrc?: string }) | null;
    if (!el || el === (window as unknown) || !el.localName) return;
    const url = el.currentSrc || el.src || el.href || "";
    core.emit(
      {
        kind: "error",
        error_type: "ResourceError",
        message: el.localName + " failed to load",
        source: "resource",
        source_url: url ? core.scrub(url) : undefined,
        count: 1,
      },
      e.timeStamp,
    );
  };
  const onRejection = (e: PromiseRejectionEvent) => {
    core.emit(errorBody(e.reason, "promise", core.scrub), e.timeStamp);
  };
  for (const e of early.splice(0)) safe(e.type === "error" ? onError : onRejection)(e as PromiseRejectionEvent);
  on(window, "error", onError);
  on(window, "unhandledrejection", onRejection);

  on(document, "securitypolicyviolation", (e: SecurityPolicyViolationEvent) => {
    const blocked = /^https?:/.test(e.blockedURI) ? core.scrub(e.blockedURI) : e.blockedURI;
    core.emit({
      ...errorBody(null, "csp", core.scrub, {
        file: e.sourceFile || undefined,
        line: e.lineNumber,
        column: e.columnNumber,
        message: e.effectiveDirective + " blocked " + (blocked || "inline"),
      }),
      error_type: "CSPViolation",
    });
  });

  if (core.cfg.console) {
    const c = console as Console & { error: ((...a: unknown[]) => void) & { __sl?: boolean } };
    const orig = c.error;
    if (typeof orig === "function" && !orig.__sl) {
      const patched = function (this: Console, ...args: unknown[]) {
        try {
          const err = args.find((a) => a instanceof Error);
          core.emit(errorBody(err, "console", core.scrub, { message: args.map(stringify).join(" ") }));
        } catch {
          // Never break console.error.
        }
        return orig.apply(this, args);
      } as typeof orig;
      patched.__sl = true;
      c.error = patched;
    }
  }
}
