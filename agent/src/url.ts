// URL privacy: what leaves the page keeps scheme, host, port and path, plus only the
// query parameters the site allow-listed. Fragments and credentials never leave.

/** Reduces `raw` (absolute, or relative to `base`: a URL, or a function read only when needed) to what may be sent. */
export function scrubUrl(raw: string, allow: readonly string[] = [], base?: string | (() => string)): string {
  // Already what the URL parser would give (the browser's own URLs mostly are): no query, no
  // fragment, no credentials, a lowercase host name (its last label starting with a letter:
  // never read as IPv4) or a dotted IPv4 without leading zeros (one above 255 is no URL: the
  // parser's fallback below gives the same), no default port, a path without dot segments or
  // escapes.
  if (
    /^https?:\/\/(([a-z\d-]+\.)*[a-z][a-z\d-]*|((?!0\d)\d+\.){3}(?!0\d)\d+)(:(?!80\/|443\/)[1-9]\d*)?\/[\w\-~:@!$&'()*+,;=/]*$/.test(raw) &&
    !raw.includes("/.")
  )
    return raw.slice(0, 2048);
  let u: URL;
  try {
    u = new URL(raw, typeof base === "function" ? base() : base);
  } catch {
    return raw.split(/[?#]/)[0]!.slice(0, 2048);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return u.protocol;
  const kept = new URLSearchParams();
  u.searchParams.forEach((v, k) => {
    if (allow.includes(k)) kept.append(k, v);
  });
  const q = kept.toString();
  return (u.origin + u.pathname + (q ? "?" + q : "")).slice(0, 2048);
}

/** The registrable-ish part of a host (last two labels; three for `co.uk`-style suffixes). */
export function site(host: string): string {
  const labels = host.split(".");
  const n = labels.length > 2 && /^(co|com|org|net|gov|ac|edu)$/.test(labels[labels.length - 2]!) ? 3 : 2;
  return labels.slice(-n).join(".");
}

/** Host (and port) of an absolute URL as the browser reports it, or "": no URL object, it runs per resource. */
export const hostOf = (raw: string): string => /^\w+:\/\/(?:[^/?#@]*@)?([^/?#]*)/.exec(raw)?.[1] || "";

/**
 * The route of a URL for view detection: the path, plus the fragment when it is a
 * hash-router path (`#/cart`, `#!/cart`). Query-only changes are the same view.
 */
export function routeKey(raw: string): string {
  try {
    const u = new URL(raw);
    return u.pathname + (/^#!?\//.test(u.hash) ? u.hash : "");
  } catch {
    return raw;
  }
}

/** Whether `url` (a string, or a URL already parsed) should carry a `traceparent`: its origin, or a prefix of it, is in `targets`. */
export function matchesTarget(url: string | URL, targets: readonly (string | RegExp)[], base?: string): boolean {
  let abs: string;
  let origin: string;
  try {
    const u = typeof url === "string" ? new URL(url, base) : url;
    abs = u.href;
    origin = u.origin;
  } catch {
    return false;
  }
  // A string is an origin (exact match), or an origin with a path (prefix match): a bare
  // prefix test on an origin would let `https://api.example.com.evil.net` through.
  return targets.some((t) =>
    typeof t === "string"
      ? origin === t.replace(/\/$/, "") || (/^https?:\/\/[^/]+\/./.test(t) && abs.startsWith(t))
      : t.test(abs),
  );
}
