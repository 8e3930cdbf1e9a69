// Where the agent's main-thread time goes, from Chromium's own trace (not a sampling
// profiler, whose 50 µs interrupts inflate what they sample): the benchmark's visit (page.mjs,
// same steps as run.mjs) on repeat visits (one tab, the page loaded again and again, the
// agent cached with its code cache) or first visits, traced with the DevTools timeline
// categories. Every script entry on the renderer's main thread (evaluation of a script, a
// callback called by the browser: listener, observer, timer, microtask) is charged to the
// script of its outermost function, with its thread time (`tdur`: CPU time, as the
// benchmark's figure), and the agent's entries are grouped by what called them (event type,
// observer, timer) and by function. V8's compilation and code-cache work for the agent's
// script are listed apart.
//
//   node bench/agent-overhead/trace.mjs [--visits 8] [--regime repeat|first] [--agent FILE] [--none] [--top 30]
//
// --none traces the page without an agent (what the page and the benchmark's driver cost).
// --agent FILE traces that file instead of the served /agent.js (served like it: gzip, ETag,
// max-age=300, by a server of the bench). Build it unminified for readable function names:
// esbuild agent/src/global.ts --bundle --format=iife --define:__AGENT_VERSION__='"0"' with
// the compile hint line `//# allFunctionsCalledOnLoad` first, as agent/scripts/build.mjs does.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { chromium } from "playwright-core";

import { sightlineTags } from "./snippet.mjs";
import { KEY, argv, newContext, option, root, startAgentFiles, startSightline, startSite, visit } from "./visit.mjs";

const VISITS = Number(option("--visits", 8));
const TOP = Number(option("--top", 30));
const REGIME = option("--regime", "repeat");
const AGENT = option("--agent");
const NONE = argv.includes("--none");
/** --list: every script entry of the agent in the last visit, in order (when, what called it, how long). */
const LIST = argv.includes("--list");
let listed = [];
const WARMUP = 3;
const CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "v8", "disabled-by-default-v8.compile"];
/** Trace events that run script: the outermost one on the stack is what the page paid for. */
const SCRIPT = new Set(["EvaluateScript", "FunctionCall", "RunMicrotasks", "v8.run", "V8.Execute"]);
/** What called a script entry (the nearest enclosing event of these). */
const CALLER = new Set(["EventDispatch", "TimerFire", "FireIdleCallback", "FireAnimationFrame", "ParseHTML", "XHRReadyStateChange"]);

const dataDir = mkdtempSync(join(tmpdir(), "sightline-trace-"));
const sightline = await startSightline(join(root, "target/debug/sightline"), dataDir);
const files = await startAgentFiles();
let tags = sightlineTags(sightline.url, KEY);
let agentUrl = `${sightline.url}/agent.js`;
if (AGENT) {
  files.bodies.set("/traced.js", readFileSync(resolve(AGENT), "utf8"));
  tags = sightlineTags(files.origin, KEY, "/traced.js", { endpoint: sightline.url });
  agentUrl = `${files.origin}/traced.js`;
}
const site = await startSite({ pages: { sightline: tags, none: "" }, peers: {} });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true });

const byCaller = new Map();
const byScript = new Map();
const byFunction = new Map();
const compile = new Map();
let agentTotal = 0;
let allScript = 0;
const counts = new Map();
const add = (map, key, ms) => {
  map.set(key, (map.get(key) ?? 0) + ms);
  if (map === byCaller || map === byFunction) counts.set(key, (counts.get(key) ?? 0) + 1);
};

/** Sums one visit's trace into the tables. */
function account(trace) {
  listed = [];
  const events = JSON.parse(trace).traceEvents;
  const main = new Set(
    events.filter((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain").map((e) => `${e.pid}:${e.tid}`),
  );
  const threads = new Map();
  for (const e of events) {
    if (e.ph !== "X" || !main.has(`${e.pid}:${e.tid}`)) continue;
    if (!threads.has(`${e.pid}:${e.tid}`)) threads.set(`${e.pid}:${e.tid}`, []);
    threads.get(`${e.pid}:${e.tid}`).push(e);
  }
  for (const list of threads.values()) {
    list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const stack = [];
    for (const e of list) {
      while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
      const outer = stack.find((s) => SCRIPT.has(s.name));
      const ms = (e.tdur ?? e.dur) / 1000;
      const data = e.args?.data ?? {};
      const url = data.url ?? data.scriptName ?? e.args?.fileName ?? "";
      if (/compile|[Cc]ache|deserialize/.test(e.name) && url.startsWith(agentUrl)) add(compile, `${e.name}${outer ? " (in script)" : ""}`, ms);
      if (SCRIPT.has(e.name) && !outer) {
        allScript += ms;
        // The function called (FunctionCall) names its script; EvaluateScript names the script.
        const owner = url || stack.findLast((s) => s.args?.data?.url)?.args.data.url || "";
        add(byScript, `${owner.replace(/^https?:\/\/[^/]+/, "") || "(none)"} ${owner ? "" : e.name}`, ms);
        if (owner.startsWith(agentUrl)) {
          agentTotal += ms;
          const caller = stack.findLast((s) => CALLER.has(s.name));
          const what = caller ? `${caller.name}${caller.args?.data?.type ? ` ${caller.args.data.type}` : ""}` : e.name;
          add(byCaller, what, ms);
          add(byFunction, `${e.name} ${data.functionName || "(anonymous)"}:${data.lineNumber ?? "?"}:${data.columnNumber ?? "?"}`, ms);
          listed.push([e.ts, what, ms]);
        }
      }
      stack.push(e);
    }
  }
}

try {
  const url = `${site.origin}/page/${NONE ? "none" : "sightline"}`;
  let kept;
  for (let i = 0; i < (REGIME === "repeat" ? WARMUP : 1) + VISITS; i++) {
    const context = kept ?? (await newContext(browser));
    const tab = context.pages()[0] ?? (await context.newPage());
    if (REGIME === "repeat") kept = context;
    const counted = i >= (REGIME === "repeat" ? WARMUP : 1);
    if (counted) await browser.startTracing(tab, { categories: CATEGORIES });
    await visit(tab, url);
    if (counted) account((await browser.stopTracing()).toString("utf8"));
    if (REGIME === "first") await context.close();
  }
} finally {
  await browser.close();
  site.close();
  files.close();
  await sightline.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const show = (map, n = TOP) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, t]) => `${(t / VISITS).toFixed(3).padStart(8)} ms ${counts.has(k) ? `${(counts.get(k) / VISITS).toFixed(1).padStart(6)}×` : "       "}  ${k}`)
    .join("\n");
console.log(`Trace of ${VISITS} ${REGIME} visits, per visit (thread time of outermost script entries on the renderer main thread)`);
console.log(`all script entries: ${(allScript / VISITS).toFixed(2)} ms; the agent's: ${(agentTotal / VISITS).toFixed(2)} ms`);
console.log(`\nall, by script:\n${show(byScript, 12)}`);
console.log(`\nthe agent's, by caller:\n${show(byCaller)}`);
console.log(`\nthe agent's, by function entered:\n${show(byFunction)}`);
if (LIST) {
  const t0 = listed[0]?.[0] ?? 0;
  console.log(`\nthe agent's entries in the last visit:\n${listed.map(([ts, what, ms]) => `${((ts - t0) / 1000).toFixed(1).padStart(8)} ms  ${ms.toFixed(3)} ms  ${what}`).join("\n")}`);
}
console.log(`\nV8 compile and cache events for the agent's script:\n${show(compile)}`);
