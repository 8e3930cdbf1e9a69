// Where the agent's main-thread time goes: the benchmark's visit (page.mjs, same steps as
// run.mjs) with a V8 CPU profile sampled every 50 µs, over several fresh-context visits, with
// the agent built unminified (readable function names) and served in place of /agent.js.
// Prints self time per function of the agent's script, and totals per script.
//
//   node bench/agent-overhead/profile.mjs [--visits 6] [--top 40] [--agent FILE] [--none]
//                                         [--regime first|repeat] [--interval 50]
//
// --agent FILE profiles that file instead of a fresh unminified build of agent/src;
// --none profiles the page without any agent (what the page itself costs).
// --regime repeat: one tab, the page loaded again and again (3 visits first, not counted), the
// agent served like /agent.js (gzip, ETag, max-age=300) by a server of the bench, so that it
// comes from the HTTP cache with V8's code cache, as in run.mjs's repeat visits; the default,
// first, profiles fresh contexts (the agent compiled each time).
// --interval: the sampling interval in µs (a shorter one inflates what it samples more).

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { build } from "esbuild";
import { chromium } from "playwright-core";

import { KEY, argv, newContext, option, root, startAgentFiles, startSightline, startSite, visit } from "./visit.mjs";
import { sightlineTags } from "./snippet.mjs";

const VISITS = Number(option("--visits", 6));
const TOP = Number(option("--top", 40));
const NONE = argv.includes("--none");
const REGIME = option("--regime", "first");
const INTERVAL = Number(option("--interval", 50));
const WARMUP = REGIME === "repeat" ? 3 : 1;

async function agentSource() {
  const file = option("--agent");
  if (file) return readFileSync(resolve(file), "utf8");
  const version = JSON.parse(readFileSync(join(root, "agent/package.json"), "utf8")).version;
  const out = await build({
    entryPoints: [join(root, "agent/src/global.ts")],
    bundle: true,
    format: "iife",
    target: "es2020",
    define: { __AGENT_VERSION__: JSON.stringify(version) },
    write: false,
    logLevel: "warning",
  });
  // The compile hint the production build puts first (agent/scripts/build.mjs).
  return "//# allFunctionsCalledOnLoad\n" + out.outputFiles[0].text;
}

const dataDir = mkdtempSync(join(tmpdir(), "sightline-profile-"));
const sightline = await startSightline(join(root, "target/debug/sightline"), dataDir);
const source = await agentSource();
const files = await startAgentFiles();
files.bodies.set("/profiled.js", source);
const site = await startSite({
  pages: { none: "", sightline: sightlineTags(sightline.url, KEY), cached: sightlineTags(files.origin, KEY, "/profiled.js", { endpoint: sightline.url }) },
  peers: {},
});
const agentUrlPart = REGIME === "repeat" ? "/profiled.js" : "/agent.js";
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", headless: true });

// esbuild marks where each module starts in an unminified bundle (`  // agent/src/util.ts`).
const modules = source
  .split("\n")
  .map((line, at) => [at, /^\s*\/\/ ((?:agent|node_modules)\/\S+\.[jt]s)$/.exec(line)?.[1]])
  .filter(([, name]) => name);
const moduleAt = (line) => modules.findLast(([at]) => at <= line)?.[1] ?? "(top)";
const self = new Map();
const perModule = new Map();
const inclusive = new Map();
const perUrl = new Map();
let totalMs = 0;
try {
  let kept;
  for (let i = 0; i < WARMUP + VISITS; i++) {
    let context = kept;
    if (!context) {
      context = await newContext(browser);
      await context.route(`${sightline.url}/agent.js`, (route) =>
        route.fulfill({ status: 200, headers: { "content-type": "text/javascript", "cache-control": "max-age=300" }, body: source }),
      );
    }
    if (REGIME === "repeat") kept = context;
    const tab = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(tab);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: INTERVAL });
    await cdp.send("Profiler.start");
    await visit(tab, `${site.origin}/page/${NONE ? "none" : REGIME === "repeat" ? "cached" : "sightline"}`);
    const { profile } = await cdp.send("Profiler.stop");
    await cdp.detach();
    if (REGIME !== "repeat") await context.close();
    if (i < WARMUP) continue; // warm-up visits, not counted
    // Self time per node: samples × interval (timeDeltas give the real spacing).
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const ms = new Map();
    for (let s = 0; s < profile.samples.length; s++) {
      const id = profile.samples[s];
      const dt = (profile.timeDeltas[s + 1] ?? 0) / 1000;
      ms.set(id, (ms.get(id) ?? 0) + dt);
    }
    // Inclusive time: every agent function on the sample's stack, once.
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    for (const [id, t] of ms) {
      const seen = new Set();
      for (let at = id; at != null; at = parent.get(at)) {
        const { callFrame: f } = byId.get(at);
        if (!f.url.includes(agentUrlPart)) continue;
        const key = `${f.functionName || "(anonymous)"} ${moduleAt(f.lineNumber)}:${f.lineNumber + 1}`;
        if (seen.has(key)) continue;
        seen.add(key);
        inclusive.set(key, (inclusive.get(key) ?? 0) + t);
      }
    }
    for (const [id, t] of ms) {
      const { callFrame: f } = byId.get(id);
      const url = f.url || f.functionName || "(native)";
      if (!["(idle)", "(program)"].includes(f.functionName)) totalMs += t;
      perUrl.set(url, (perUrl.get(url) ?? 0) + t);
      if (!f.url.includes(agentUrlPart)) continue;
      const module = moduleAt(f.lineNumber);
      perModule.set(module, (perModule.get(module) ?? 0) + t);
      const key = `${f.functionName || "(anonymous)"} ${module}:${f.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + t);
    }
  }
} finally {
  await browser.close();
  site.close();
  files.close();
  await sightline.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const show = (map, n) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, t]) => `${(t / VISITS).toFixed(2).padStart(8)} ms  ${k}`)
    .join("\n");
console.log(`CPU profile, ${VISITS} ${REGIME} visits, per visit (sampled every ${INTERVAL} µs; wall time of samples)`);
console.log(`\nby script (all but idle/program: ${(totalMs / VISITS).toFixed(1)} ms):\n${show(perUrl, 15)}`);
console.log(`\nagent modules, self time:\n${show(perModule, 30)}`);
console.log(`\nagent functions, inclusive time:\n${show(inclusive, TOP)}`);
console.log(`\nagent functions, self time:\n${show(self, TOP)}`);
