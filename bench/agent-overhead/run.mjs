// The browser agent's overhead: how much main-thread time it adds to a page load, and
// whether it causes long tasks.
//
// Headless Chromium (Debian's, driven by the root's playwright-core) loads the test page
// (page.mjs) N times per variant, interleaved so that a slow moment of the machine hits every
// variant alike: without an agent, with Sightline's agent (the real snippet and /agent.js
// from a real `sightline serve`, beacons to it), and with peers bundled by esbuild like the
// size table (web-vitals attribution alone always — the version inside Sightline's agent;
// @datadog/browser-rum-slim and @sentry/browser when bench/agent-size's packages are installed). Each load is a fresh
// browser context: navigate, wait for the products, click "Add to cart" three times, scroll
// to the bottom, hide the page (the agents send their final data), then read the renderer's
// cumulative ScriptDuration and TaskDuration (CDP Performance.getMetrics) and the long
// animation frames the page observed (with script attribution).
//
//   node bench/agent-overhead/run.mjs [--runs 30] [--warm] [--smoke] [--binary target/debug/sightline] [--json]
//                                     [--agent FILE]... [--no-peers]
//
// --warm: returning visits instead — each variant keeps one browser context, so the scripts
// come from the HTTP cache with V8's code cache (three unmeasured visits first).
// --agent FILE (repeatable): one more variant each, the real snippet loading FILE in place of
// the server's /agent.js (same origin, same headers) — to compare builds of the agent in one run.
// --no-peers: no peer variants, not even web-vitals alone.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";
import { chromium } from "playwright-core";

import { sightlineTags } from "./snippet.mjs";
import { KEY, newContext, startSightline, startSite, visit } from "./visit.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : fallback;
};
const SMOKE = argv.includes("--smoke");
/** Returning visits: each variant keeps one browser context (HTTP cache, V8 code cache). */
const WARM = argv.includes("--warm");
const RUNS = Number(option("--runs", SMOKE ? 3 : 30));
const BINARY = resolve(root, option("--binary", "target/debug/sightline"));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const AGENT_FILES = argv.flatMap((arg, at) => (arg === "--agent" ? [resolve(argv[at + 1])] : []));

/** Peers: label, entry in bench/agent-size/entries, and the package it needs. */
const PEERS = [
  // The web-vitals inside Sightline's agent (the root's package), alone.
  ["web-vitals attribution alone", "web-vitals-attribution.js", "web-vitals", { fromRoot: true }],
  ["@datadog/browser-rum-slim", "datadog-rum-slim.js", "@datadog/browser-rum-slim"],
  ["@sentry/browser + tracing", "sentry-tracing.js", "@sentry/browser"],
];

async function bundlePeer(entry, fromRoot) {
  const file = join(root, "bench/agent-size/entries", entry);
  const result = await build({
    ...(fromRoot ? { stdin: { contents: readFileSync(file, "utf8"), resolveDir: root } } : { entryPoints: [file] }),
    bundle: true,
    minify: true,
    format: "iife",
    platform: "browser",
    target: ["es2020"],
    legalComments: "none",
    define: { "process.env.NODE_ENV": '"production"' },
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/** The version esbuild resolves for `pkg` from bench/agent-size/entries. */
function peerVersion(pkg, fromRoot) {
  const dirs = [join(root, "node_modules", pkg)];
  if (!fromRoot) dirs.unshift(join(root, "bench/agent-size/node_modules", pkg));
  for (const dir of dirs) {
    if (existsSync(join(dir, "package.json"))) return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
  }
  return "?";
}

function peerInstalled(pkg) {
  return [join(root, "bench/agent-size/node_modules", pkg), join(root, "node_modules", pkg)].some(existsSync);
}

/** One visit: in a fresh context (cold), or in a new tab of the variant's context (warm). */
async function load(browser, variant) {
  const { url, agentUrlPart, context: warmContext, route } = variant;
  const context = warmContext ?? (await newContext(browser, route));
  const tab = await context.newPage();
  const cdp = await context.newCDPSession(tab);
  // Thread CPU time, not wall time: a busy machine slows every variant alike without inflating it.
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  await visit(tab, url);
  const { metrics } = await cdp.send("Performance.getMetrics");
  const long = await tab.evaluate(() => window.__long);
  await (warmContext ? tab.close() : context.close());
  const metric = (name) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
  // A long frame is the agent's when it would not be long without the agent's scripts.
  const agentFrames = agentUrlPart
    ? long.frames.filter((frame) => {
        const agentMs = frame.scripts.filter((s) => s.url.includes(agentUrlPart)).reduce((sum, s) => sum + s.duration, 0);
        return agentMs > 0 && frame.duration - agentMs < 50;
      }).length
    : 0;
  const agentScriptMs = agentUrlPart
    ? long.frames.flatMap((f) => f.scripts).filter((s) => s.url.includes(agentUrlPart)).reduce((sum, s) => sum + s.duration, 0)
    : 0;
  return {
    script: metric("ScriptDuration"),
    task: metric("TaskDuration"),
    longFrames: long.frames.length,
    agentLongFrames: agentFrames,
    agentScriptInLongFrames: agentScriptMs,
  };
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1) + 0.5))];
};

function table(results, runs) {
  const base = results[0];
  const header = [
    "variant",
    "script ms p50",
    "p90",
    "+ vs none",
    "task ms p50",
    "p90",
    "+ vs none",
    "long frames/load",
    "caused by agent",
  ];
  const rows = results.map((r) => {
    const s50 = percentile(r.loads.map((l) => l.script), 0.5);
    const t50 = percentile(r.loads.map((l) => l.task), 0.5);
    const b50 = percentile(base.loads.map((l) => l.script), 0.5);
    const bt50 = percentile(base.loads.map((l) => l.task), 0.5);
    const sum = (key) => r.loads.reduce((total, l) => total + l[key], 0);
    return [
      r.label,
      s50.toFixed(1),
      percentile(r.loads.map((l) => l.script), 0.9).toFixed(1),
      r === base ? "—" : `${s50 - b50 >= 0 ? "+" : ""}${(s50 - b50).toFixed(1)}`,
      t50.toFixed(1),
      percentile(r.loads.map((l) => l.task), 0.9).toFixed(1),
      r === base ? "—" : `${t50 - bt50 >= 0 ? "+" : ""}${(t50 - bt50).toFixed(1)}`,
      (sum("longFrames") / runs).toFixed(2),
      r === base ? "—" : String(sum("agentLongFrames")),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const format = (cells) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(" | ")} |`;
  return [
    format(header),
    `|${widths.map((width, column) => (column === 0 ? "-".repeat(width + 2) : `${"-".repeat(width + 1)}:`)).join("|")}|`,
    ...rows.map(format),
  ].join("\n");
}

async function main() {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: cargo build -p sightline-cli`);
  const dataDir = mkdtempSync(join(tmpdir(), "sightline-overhead-"));
  const sightline = await startSightline(BINARY, dataDir);
  const peers = {};
  const variants = [
    { label: "no agent", page: "none", agentUrlPart: undefined },
    { label: "Sightline /agent.js", page: "sightline", agentUrlPart: "/agent.js" },
  ];
  const pages = { none: "", sightline: sightlineTags(sightline.url, KEY) };
  AGENT_FILES.forEach((file, n) => {
    const path = `/agent.js?file=${n}`;
    pages[`file${n}`] = sightlineTags(sightline.url, KEY, path);
    const body = readFileSync(file);
    const headers = { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300" };
    const route = [`${sightline.url}${path}`, (r) => r.fulfill({ status: 200, headers, body })];
    variants.push({ label: `agent ${file.replace(`${root}/`, "")}`, page: `file${n}`, agentUrlPart: path, route });
  });
  for (const [label, entry, pkg, { fromRoot = false } = {}] of argv.includes("--no-peers") ? [] : PEERS) {
    if (!peerInstalled(pkg)) {
      console.error(`(skipping ${label}: run make bench-agent-size to install it)`);
      continue;
    }
    peers[entry] = await bundlePeer(entry, fromRoot);
    variants.push({ label: `${label} ${peerVersion(pkg, fromRoot)}`, page: entry, agentUrlPart: `/peer/${entry}` });
  }
  for (const entry of Object.keys(peers)) pages[entry] = `<script async src="/peer/${entry}"></script>`;
  const site = await startSite({ pages, peers });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    for (const variant of variants) {
      variant.url = `${site.origin}/page/${variant.page}`;
      variant.loads = [];
      variant.context = WARM ? await newContext(browser, variant.route) : undefined;
    }
    // One warm-up load per variant (not counted): compile caches, the server's first answers.
    // (Warm: three, so that the scripts are cached and their code cache is made.)
    for (let i = 0; i < (WARM ? 3 : 1); i++) {
      for (const variant of variants) await load(browser, variant);
    }
    for (let run = 0; run < RUNS; run++) {
      for (const variant of variants) {
        variant.loads.push(await load(browser, variant));
      }
      if (!SMOKE && (run + 1) % 10 === 0) console.error(`  ${run + 1}/${RUNS} loads per variant`);
    }
  } finally {
    await browser.close();
    site.close();
    await sightline.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (argv.includes("--json")) {
    console.log(JSON.stringify(variants.map(({ context, route, ...variant }) => variant), null, 2));
    return;
  }
  const version = (await chromium.launch({ executablePath: CHROMIUM }).then(async (b) => [b.version(), await b.close()]))[0];
  console.log(
    `Browser agent overhead, ${new Date().toISOString().slice(0, 10)}: ${RUNS} ${WARM ? "returning (warm: cached scripts, code cache)" : "first (cold)"} ` +
      `visits per variant, headless Chromium ${version}, ` +
      `${cpus().length} × ${cpus()[0]?.model.trim()}`,
  );
  console.log(table(variants, RUNS));
  console.log(
    "script = CDP ScriptDuration, task = TaskDuration (renderer main thread, whole visit: load, 3 clicks, scroll, hide); " +
      "long frames = long animation frames ≥ 50 ms; caused by agent = frames that would be under 50 ms without the agent's scripts.",
  );
  const sightlineRow = variants[1];
  const added =
    percentile(sightlineRow.loads.map((l) => l.script), 0.5) - percentile(variants[0].loads.map((l) => l.script), 0.5);
  const caused = sightlineRow.loads.reduce((sum, l) => sum + l.agentLongFrames, 0);
  console.log(
    `Sightline target: ≤ 2 ms added main-thread (script) time, no long task caused by the agent: +${added.toFixed(1)} ms, ` +
      `${caused} long frames — ${added <= 2 && caused === 0 ? "met" : "NOT met"}`,
  );
}

main().catch((error) => {
  console.error(`bench-agent-overhead: ${error.stack ?? error}`);
  process.exit(1);
});
