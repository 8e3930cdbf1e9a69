// What single browser API calls cost the page's main thread the first time a page makes them:
// each snippet runs as an inline page script (so that CDP's ScriptDuration counts it, as it
// counts the agent) first thing in a freshly navigated tab, and the difference of
// ScriptDuration (thread time) across it is its cost. The snippets are the calls the agent
// makes on every page load; the figures are the floor under the agent's overhead that no
// rewrite of its code removes (a first sessionStorage read, a first beacon, …).
//
//   node bench/agent-overhead/probe.mjs [--runs 10] [--json '{"name": "code", …}']
//
// --json: other snippets, by name (the default set is below).

import { createServer } from "node:http";

import { chromium } from "playwright-core";

import { argv, option } from "./visit.mjs";

const RUNS = Number(option("--runs", 10));

const SNIPPETS = option("--json")
  ? JSON.parse(option("--json"))
  : {
      "an empty script (for reference)": "1",
      "sessionStorage: first read": 'sessionStorage.getItem("sl_s")',
      "sessionStorage: 2 reads, 2 writes": 'for (const v of ["[1]", "[2]"]) { sessionStorage.getItem("sl_s"); sessionStorage.setItem("sl_s", v); }',
      "navigator.sendBeacon, 3 KB": 'navigator.sendBeacon("/x", "a".repeat(3000))',
      "navigator.sendBeacon twice": 'navigator.sendBeacon("/x", "a".repeat(3000)); navigator.sendBeacon("/x", "b".repeat(3000))',
      "fetch keepalive POST, 3 KB": 'fetch("/x", { method: "POST", body: "a".repeat(3000), keepalive: true }).catch(() => 0)',
      "navigator.userAgentData.brands": "navigator.userAgentData && navigator.userAgentData.brands",
      "navigator.connection.rtt": "navigator.connection && navigator.connection.rtt",
      "8 event listeners": 'for (const t of ["click", "scroll", "visibilitychange", "pagehide", "pageshow", "error", "unhandledrejection", "beforeunload"]) addEventListener(t, () => {}, { capture: true, passive: true })',
      "PerformanceObserver, 7 types": '{ const o = new PerformanceObserver(() => {}); for (const type of ["largest-contentful-paint", "layout-shift", "event", "first-input", "long-animation-frame", "mark", "measure"]) o.observe({ type, buffered: true }); }',
      "navigation entry": 'performance.getEntriesByType("navigation")[0].responseStart',
      "new URL(location.href)": "new URL(location.href).href",
      "crypto.getRandomValues (a trace id)": "crypto.getRandomValues(new Uint8Array(16))",
      "MutationObserver on the document": "new MutationObserver(() => {}).observe(document, { subtree: true, childList: true, attributes: true, characterData: true })",
      "patch fetch": "{ const f = window.fetch; window.fetch = function () { return f.apply(this, arguments); }; }",
      "patch XMLHttpRequest open/send": "{ const p = XMLHttpRequest.prototype, o = p.open, s = p.send; p.open = function () { return o.apply(this, arguments); }; p.send = function () { return s.apply(this, arguments); }; }",
      "patch history push/replaceState": '{ for (const m of ["pushState", "replaceState"]) { const o = history[m]; history[m] = function () { return o.apply(this, arguments); }; } }',
    };

const html = "<!doctype html><html><head><title>probe</title></head><body><p>A page.</p></body></html>";
const site = createServer((request, response) => response.writeHead(200, { "content-type": "text/html" }).end(html));
await new Promise((listening) => site.listen(0, "127.0.0.1", listening));
const url = `http://127.0.0.1:${site.address().port}/`;
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true });
const costs = Object.fromEntries(Object.keys(SNIPPETS).map((name) => [name, []]));
try {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const cdp = await context.newCDPSession(tab);
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const script = async () => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "ScriptDuration").value * 1000;
  // Interleaved: a busy moment of the machine hits every snippet alike.
  for (let run = 0; run < RUNS; run++) {
    for (const [name, code] of Object.entries(SNIPPETS)) {
      await tab.goto(url);
      const before = await script();
      // A page script (DevTools' own evaluation is not counted in ScriptDuration).
      await tab.evaluate((text) => {
        const s = document.createElement("script");
        s.textContent = text;
        document.head.appendChild(s);
      }, code);
      await new Promise((done) => setTimeout(done, 30));
      costs[name].push((await script()) - before);
    }
  }
} finally {
  await browser.close();
  site.close();
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const width = Math.max(...Object.keys(costs).map((name) => name.length));
console.log(`First-use cost on a fresh page, ${RUNS} runs, ScriptDuration (thread time) of an inline script, median (min)`);
for (const [name, values] of Object.entries(costs)) {
  console.log(`${name.padEnd(width)}  ${median(values).toFixed(3).padStart(6)} ms  (${Math.min(...values).toFixed(3)})`);
}
