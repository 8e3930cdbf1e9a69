// Where the agent's main-thread time goes: the benchmark's visit (page.mjs, same steps as
// run.mjs) with a V8 CPU profile sampled every 50 µs, over several fresh-context visits, with
// the agent built unminified (readable function names) and served in place of /agent.js.
// Prints self time per function of the agent's script, and totals per script.
//
//   node bench/agent-overhead/profile.mjs [--visits 6] [--top 40] [--agent FILE] [--none]
//
// --agent FILE profiles that file instead of a fresh unminified build of agent/src;
// --none profiles the page without any agent (what the page itself costs).

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";
import { chromium } from "playwright-core";

import { KEY, newContext, startSightline, startSite, visit } from "./visit.mjs";
import { sightlineTags } from "./snippet.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : fallback;
};
const VISITS = Number(option("--visits", 6));
const TOP = Number(option("--top", 40));
const NONE = argv.includes("--none");

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
const site = await startSite({ pages: { none: "", sightline: sightlineTags(sightline.url, KEY) }, peers: {} });
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
  for (let i = 0; i <= VISITS; i++) {
    const context = await newContext(browser);
    await context.route(`${sightline.url}/agent.js`, (route) =>
      route.fulfill({ status: 200, headers: { "content-type": "text/javascript", "cache-control": "max-age=300" }, body: source }),
    );
    const tab = await context.newPage();
    const cdp = await context.newCDPSession(tab);
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
    await cdp.send("Profiler.start");
    await visit(tab, `${site.origin}/page/${NONE ? "none" : "sightline"}`);
    const { profile } = await cdp.send("Profiler.stop");
    await context.close();
    if (i === 0) continue; // warm-up visit, not counted
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
        if (!f.url.includes("/agent.js")) continue;
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
      if (!f.url.includes("/agent.js")) continue;
      const module = moduleAt(f.lineNumber);
      perModule.set(module, (perModule.get(module) ?? 0) + t);
      const key = `${f.functionName || "(anonymous)"} ${module}:${f.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + t);
    }
  }
} finally {
  await browser.close();
  site.close();
  await sightline.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const show = (map, n) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, t]) => `${(t / VISITS).toFixed(2).padStart(8)} ms  ${k}`)
    .join("\n");
console.log(`CPU profile, ${VISITS} visits, per visit (sampled every 50 µs; wall time of samples)`);
console.log(`\nby script (all but idle/program: ${(totalMs / VISITS).toFixed(1)} ms):\n${show(perUrl, 15)}`);
console.log(`\nagent modules, self time:\n${show(perModule, 30)}`);
console.log(`\nagent functions, inclusive time:\n${show(inclusive, TOP)}`);
console.log(`\nagent functions, self time:\n${show(self, TOP)}`);
