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
//
// --warm: returning visits instead — each variant keeps one browser context, so the scripts
// come from the HTTP cache with V8's code cache (three unmeasured visits first).

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { build } from "esbuild";
import { chromium } from "playwright-core";

import { APP, STYLES, page, products, svg } from "./page.mjs";
import { sightlineTags } from "./snippet.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const KEY = "pk_bench_0123456789";

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

/** Peers: label, entry in bench/agent-size/entries, and the package it needs. */
const PEERS = [
  // The web-vitals inside Sightline's agent (the root's package), alone.
  ["web-vitals attribution alone", "web-vitals-attribution.js", "web-vitals", { fromRoot: true }],
  ["@datadog/browser-rum-slim", "datadog-rum-slim.js", "@datadog/browser-rum-slim"],
  ["@sentry/browser + tracing", "sentry-tracing.js", "@sentry/browser"],
];

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function startSightline(dataDir) {
  const config = join(dataDir, "sightline.toml");
  writeFileSync(
    config,
    [
      'listen = "127.0.0.1:0"',
      `data_dir = ${JSON.stringify(join(dataDir, "data"))}`,
      'log_level = "warn"',
      "[intake]",
      "per_ip_rate_limit_per_second = 0",
      "[[projects]]",
      'id = "bench"',
      `ingest_key = "${KEY}"`,
      "drop_bots = false",
      "rate_limit_per_second = 0",
      "",
    ].join("\n"),
  );
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("SIGHTLINE_")));
  const server = spawn(BINARY, ["serve", "--config", config], { env, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((found, fail) => {
    const timer = setTimeout(() => fail(new Error("sightline did not start within 20 s")), 20_000);
    server.once("exit", (code) => fail(new Error(`sightline exited with ${code}`)));
    createInterface({ input: server.stdout }).on("line", (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        found(match[1]);
      }
    });
  });
  return {
    url,
    stop: async () => {
      if (server.exitCode !== null) return;
      server.kill("SIGTERM");
      await new Promise((done) => server.once("exit", done));
    },
  };
}

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

async function startSite(scripts) {
  const catalogue = JSON.stringify(products());
  let cart = 0;
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const send = (type, body) => response.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
    if (path.startsWith("/page/")) return send("text/html; charset=utf-8", page(scripts.pages[path.slice(6)] ?? ""));
    if (path === "/styles.css") return send("text/css", STYLES);
    if (path === "/app.js") return send("text/javascript", APP);
    if (path === "/api/products") return send("application/json", catalogue);
    if (path === "/api/cart") return send("application/json", JSON.stringify({ items: ++cart }));
    if (path.startsWith("/img/")) return send("image/svg+xml", svg(path.slice(5, -4)));
    if (path.startsWith("/peer/")) {
      // Cached like Sightline's /agent.js (max-age=300), so that warm visits compare alike.
      const headers = { "content-type": "text/javascript", "cache-control": "public, max-age=300" };
      return response.writeHead(200, headers).end(scripts.peers[path.slice(6)] ?? "");
    }
    response.writeHead(404).end();
  });
  await new Promise((listening) => server.listen(0, "127.0.0.1", listening));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

/** Collects long animation frames (and long tasks) from the start of the page. */
const OBSERVE_LONG_FRAMES = `
window.__long = { frames: [], tasks: 0 };
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) {
      window.__long.frames.push({ duration: e.duration, blocking: e.blockingDuration,
        scripts: e.scripts.map(function (s) { return { url: s.sourceURL, duration: s.duration }; }) });
    });
  }).observe({ type: "long-animation-frame", buffered: true });
  new PerformanceObserver(function (list) { window.__long.tasks += list.getEntries().length; })
    .observe({ type: "longtask", buffered: true });
} catch (e) {}
`;

async function newContext(browser) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Peers send to their vendors' hosts: answer for them at once, off the main thread.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.fulfill({ status: 204, body: "" }));
  await context.addInitScript(OBSERVE_LONG_FRAMES);
  return context;
}

/** One visit: in a fresh context (cold), or in a new tab of the variant's context (warm). */
async function load(browser, url, agentUrlPart, warmContext) {
  const context = warmContext ?? (await newContext(browser));
  const tab = await context.newPage();
  const cdp = await context.newCDPSession(tab);
  // Thread CPU time, not wall time: a busy machine slows every variant alike without inflating it.
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  await tab.goto(url, { waitUntil: "load", timeout: 30_000 });
  await tab.waitForSelector("body[data-ready]", { timeout: 10_000 });
  await sleep(300);
  for (let i = 0; i < 3; i++) {
    await tab.click(`#grid article:nth-child(${i + 1}) button.add`);
    await sleep(100);
  }
  await tab.mouse.wheel(0, 4000);
  await sleep(300);
  // Hide the page as a tab switch does: the agents flush their final data now.
  await tab.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
    Object.defineProperty(document, "hidden", { value: true, configurable: true });
    document.dispatchEvent(new Event("visibilitychange"));
    window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: false }));
  });
  await sleep(300);
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
  const sightline = await startSightline(dataDir);
  const peers = {};
  const variants = [
    { label: "no agent", page: "none", agentUrlPart: undefined },
    { label: "Sightline /agent.js", page: "sightline", agentUrlPart: "/agent.js" },
  ];
  for (const [label, entry, pkg, { fromRoot = false } = {}] of PEERS) {
    if (!peerInstalled(pkg)) {
      console.error(`(skipping ${label}: run make bench-agent-size to install it)`);
      continue;
    }
    peers[entry] = await bundlePeer(entry, fromRoot);
    variants.push({ label: `${label} ${peerVersion(pkg, fromRoot)}`, page: entry, agentUrlPart: `/peer/${entry}` });
  }
  const pages = { none: "", sightline: sightlineTags(sightline.url, KEY) };
  for (const entry of Object.keys(peers)) pages[entry] = `<script async src="/peer/${entry}"></script>`;
  const site = await startSite({ pages, peers });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    for (const variant of variants) {
      variant.loads = [];
      variant.context = WARM ? await newContext(browser) : undefined;
    }
    // One warm-up load per variant (not counted): compile caches, the server's first answers.
    // (Warm: three, so that the scripts are cached and their code cache is made.)
    for (let i = 0; i < (WARM ? 3 : 1); i++) {
      for (const variant of variants) await load(browser, `${site.origin}/page/${variant.page}`, variant.agentUrlPart, variant.context);
    }
    for (let run = 0; run < RUNS; run++) {
      for (const variant of variants) {
        variant.loads.push(await load(browser, `${site.origin}/page/${variant.page}`, variant.agentUrlPart, variant.context));
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
    console.log(JSON.stringify(variants.map(({ context, ...variant }) => variant), null, 2));
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
