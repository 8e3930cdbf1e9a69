// The floor under issue 4's agent: the least a page visit must run to report what the issue
// asks for first, with the library it mandates — web-vitals' attribution build for LCP, FCP
// and TTFB (the three the agent takes from it), a session id kept in sessionStorage, and one
// beacon at hide. No views, CLS/INP per view, errors, requests, actions, resources or long
// frames. Its row in the overhead table is what any agent built on web-vitals pays on this
// machine before its own features.
import { onFCP, onLCP, onTTFB } from "web-vitals/attribution";

const reported = [];
let session = sessionStorage.getItem("floor_session");
if (!session) session = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16)).join("");
sessionStorage.setItem("floor_session", session);

// The attribution's fields, without its entries and DOM nodes (the agent sends no more).
const report = (metric) => {
  const attribution = {};
  for (const [key, value] of Object.entries(metric.attribution)) {
    if (typeof value !== "object") attribution[key] = value;
  }
  reported.push({ name: metric.name, value: metric.value, attribution });
};
onLCP(report);
onFCP(report);
onTTFB(report);

// web-vitals reports LCP from its own listener, added before this one.
addEventListener(
  "visibilitychange",
  () => {
    if (document.visibilityState !== "hidden" || !reported.length) return;
    navigator.sendBeacon("/floor-beacon", JSON.stringify({ session, url: location.href, vitals: reported.splice(0) }));
  },
  true,
);
