// Core Web Vitals ratings and the colour-blind-safe palette. Pure.

export type Rating = "good" | "needs_improvement" | "poor";

/** good ≤ the first, poor > the second (docs/query.md, the statistics table). */
export const THRESHOLDS: Record<string, [number, number]> = {
  lcp: [2500, 4000],
  inp: [200, 500],
  cls: [0.1, 0.25],
  fcp: [1800, 3000],
  ttfb: [800, 1800],
};

export const VITALS = ["lcp", "inp", "cls", "fcp", "ttfb"] as const;

export function rating(metric: string, value: number | null | undefined): Rating | undefined {
  const t = THRESHOLDS[metric];
  if (!t || value === null || value === undefined || !Number.isFinite(value)) return undefined;
  if (value <= t[0]) return "good";
  if (value <= t[1]) return "needs_improvement";
  return "poor";
}

export const RATING_LABEL: Record<Rating, string> = {
  good: "Good",
  needs_improvement: "Needs improvement",
  poor: "Poor",
};

/** A shape beside the label, so the rating never rests on colour alone. */
export const RATING_SYMBOL: Record<Rating, string> = {
  good: "\u25cf",
  needs_improvement: "\u25b2",
  poor: "\u25a0",
};

/**
 * Blue / yellow / vermilion (Okabe & Ito): told apart with any colour-vision deficiency,
 * and by lightness alone in greyscale.
 */
export const RATING_COLOUR: Record<Rating, string> = {
  good: "#0072b2",
  needs_improvement: "#e6a700",
  poor: "#d55e00",
};

/** Series colours for charts (Okabe & Ito, then greys). */
export const SERIES_COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#999999"];

export const METRIC_LABEL: Record<string, string> = {
  lcp: "Largest Contentful Paint",
  inp: "Interaction to Next Paint",
  cls: "Cumulative Layout Shift",
  fcp: "First Contentful Paint",
  ttfb: "Time to First Byte",
  page_views: "Page views",
  sessions: "Sessions",
  errors: "Errors",
  requests: "Requests",
  actions: "Actions",
  rage_clicks: "Rage clicks",
  dead_clicks: "Dead clicks",
  error_rate: "Error rate (views)",
  session_error_rate: "Error rate (sessions)",
  bounce_rate: "Bounce rate",
  poor_vital_share: "Views with a poor vital",
  failed_request_rate: "Failed requests",
  request_duration: "Request duration",
  long_animation_frame_duration: "Long animation frames",
  load: "Load event",
  dom_interactive: "DOM interactive",
  dom_content_loaded: "DOM content loaded",
  nav_dns: "DNS",
  nav_connect: "Connect",
  nav_tls: "TLS",
  nav_request: "Request",
  nav_response: "Response",
  nav_redirect: "Redirect",
};

export function metricLabel(metric: string): string {
  return METRIC_LABEL[metric] ?? metric;
}

/** Lower is better for vitals and timings; a relative change's colour follows `improved`. */
export function changeClass(improved: boolean | null | undefined): string {
  if (improved === true) return "better";
  if (improved === false) return "worse";
  return "neutral";
}
