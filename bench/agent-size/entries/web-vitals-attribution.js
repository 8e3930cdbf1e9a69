// web-vitals, attribution build, alone: the five metrics kept in a global, nothing sent.
// (Not console.log: with DevTools attached, as the overhead bench's Playwright is, each log
// serializes a preview of the attribution, DOM nodes and entries included — main-thread time
// that a visitor's browser does not spend.)
import { onCLS, onFCP, onINP, onLCP, onTTFB } from "web-vitals/attribution";

const seen = (window.__webVitals = []);
const report = (metric) => seen.push(metric);
onCLS(report);
onFCP(report);
onINP(report);
onLCP(report);
onTTFB(report);
