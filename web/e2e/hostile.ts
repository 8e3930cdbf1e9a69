// Beacons whose every string field carries a script payload (docs: shared hostile-inputs,
// "Dashboard and replay"). If any of them ran in the dashboard it would set `window.__xss`
// or open a dialog; each is also looked for as literal text.

export const IMG = `<img src=x onerror="window.__xss='img';alert('img')">`;
export const SVG = `<svg onload="window.__xss='svg';alert('svg')">`;
export const JS_URL = `javascript:window.__xss='js';alert('js')`;
export const PAYLOADS = [IMG, SVG, JS_URL];

const UA =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/**
 * One beacon per payload and variant: a page view with vitals, an error, a request, a rage
 * click, a custom event, a resource and a long animation frame.
 */
export function hostileBeacons(now: number): Array<{ headers: Record<string, string>; body: string }> {
  const beacons = [];
  let n = 0;
  for (const p of PAYLOADS) {
    for (const variant of [0, 1]) {
      n += 1;
      const session = `xss${n}${"0".repeat(28)}`.slice(0, 32);
      const view = `${session}.0`;
      const page = variant === 0 ? `https://shop.example.com/x/${encodeURIComponent(p)}` : `https://shop.example.com/${p}`;
      const sentAt = now - 60_000 + n * 1000;
      const body = {
        v: 1,
        sent_at: sentAt,
        context: {
          agent: { name: "sightline-browser", version: "0.4.2" },
          session_id: session,
          view_id: view,
          url: page,
          referrer: p.startsWith("javascript:") ? p : `https://ref.example/${p}`,
          release: p,
          environment: variant === 0 ? "production" : p,
          user: { id: p, attributes: { plan: p } },
          attributes: { experiment: p },
          sample_rate: 1,
          sampling_reason: "sampled",
          consent: "granted",
          time_origin: sentAt - 10_000,
        },
        events: [
          { id: "0", kind: "view", t: 0, navigation_type: "navigate", timing: { ttfb: 300, load: 1500, dom_interactive: 800, dom_content_loaded: 900 } },
          { id: "1", kind: "vital", t: 2000, name: "lcp", value: 5200, attribution: { element: p, resource_url: JS_URL } },
          {
            id: "2",
            kind: "vital",
            t: 2000,
            name: "inp",
            value: 650,
            attribution: {
              interaction_target: p,
              interaction_type: "pointer",
              scripts: [{ source_url: `https://shop.example.com/${p}.js`, source_function_name: p, invoker: p, invoker_type: "event-listener", duration: 300 }],
            },
          },
          { id: "3", kind: "vital", t: 2000, name: "cls", value: 0.3, attribution: { largest_shift_target: p } },
          {
            id: "4",
            kind: "error",
            t: 2500,
            error_type: `Type${n}Error${p}`,
            message: `${p} failed ${n}`,
            stack: `Error: ${p}\n    at ${p} (${JS_URL}:1:1)\n    at https://shop.example.com/app.js:2:3`,
            source: "unhandled",
            source_url: JS_URL,
            line: 1,
            column: 1,
            count: 1,
          },
          { id: "5", kind: "request", t: 2600, api: "fetch", method: "GET", url: variant === 0 ? JS_URL : `https://api.example.com/${p}`, status: 500, start: 2100, duration: 500 },
          { id: "6", kind: "action", t: 2700, action_type: "click", target: p, selector: p, rage: true, dead: false, error: true, count: 3 },
          { id: "7", kind: "custom", t: 2800, name: p, value: 1, attributes: { k: p } },
          {
            id: "9",
            kind: "long_animation_frame",
            t: 2900,
            start: 2700,
            duration: 180,
            blocking_duration: 130,
            scripts: [{ source_url: variant === 0 ? JS_URL : `https://shop.example.com/${p}.js`, source_function_name: p, invoker: p, invoker_type: "user-callback", duration: 150 }],
          },
          { id: "8", kind: "resource", t: 900, url: variant === 0 ? JS_URL : `https://cdn.example.com/${p}`, initiator: "img", start: 100, duration: 800, transfer_size: 1000 },
        ],
      };
      beacons.push({
        headers: {
          "content-type": "application/json",
          origin: "https://shop.example.com",
          "user-agent": UA,
          "x-forwarded-for": `198.18.9.${n}`,
          "cf-ipcountry": "DE",
        },
        body: JSON.stringify(body),
      });
    }
  }
  return beacons;
}
