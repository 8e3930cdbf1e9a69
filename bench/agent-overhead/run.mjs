// The browser agent's overhead: how much main-thread time it adds to a page load, and
// whether it causes long tasks.
//
// Headless Chromium (Debian's, driven by the root's playwright-core) loads the test page
// (page.mjs) many times per variant, interleaved so that a slow moment of the machine hits every
// variant alike: without an agent, with Sightline's agent (the real snippet and /agent.js
// from a real `sightline serve`, beacons to it), and with peers bundled by esbuild like the
// size table (web-vitals attribution alone always — the version Sightline's agent used until 2026-12-05;
// the floor of entries/floor.js always: web-vitals' LCP, FCP and TTFB, a session id and one
// beacon, the least an agent built on web-vitals runs; @datadog/browser-rum-slim and
// @sentry/browser when bench/agent-size's packages are installed).
// One visit: navigate, wait for the products, click "Add to cart" three times, scroll to the
// bottom, hide the page (the agents send their final data). Its cost is the renderer's
// ScriptDuration and TaskDuration at its end (CDP Performance.getMetrics; per-document
// counters, in thread time, and ScriptDuration in wall time from a second session), and the
// long animation frames the page observed (with script attribution). Every frame counted as
// caused by an agent is printed after the tables with its scripts (source, invoker, duration),
// so that the agent's own work can be told from a frame a busy machine made long.
//
// Two regimes, both measured in the same run, interleaved:
// - repeat visits (the issue's "load a test page many times"; the target is judged here): one
//   browser context and tab per variant, the page loaded again and again, as a user's next
//   page loads of a site are — HTTP cache, V8's code cache and the renderer warm. The first
//   WARMUP loads of each variant are not counted.
// - first visits: every load in a fresh context (no HTTP cache, no code cache), the cold case.
//
//   node bench/agent-overhead/run.mjs [--runs 30] [--regime both|repeat|first] [--smoke]
//                                     [--binary target/debug/sightline] [--json]
//                                     [--agent FILE]... [--no-peers] [--calibrate MS]
//
// --agent FILE (repeatable): one more variant each, the real snippet loading FILE in place of
// the server's /agent.js — to compare builds of the agent in one run.
// --no-peers: no peer variants, not even web-vitals alone.
// --calibrate MS: two more variants, the served /agent.js with and without a loop at its start
// sized to take MS ms of CPU in Node at the start of the run (a rough size: the page's cost of
// it differs, and a shared machine makes the sizing noisy); the bench prints the difference it
// measured between the two — proof that the method sees a difference of that order.
// --agent and --calibrate files are served like /agent.js (gzip, ETag, max-age=300) from a
// server of their own (a route of the browser would bypass the HTTP cache and code cache).
// --warm: the same as --regime repeat (older name).

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";

import { build } from "esbuild";
import { chromium } from "playwright-core";

import { sightlineTags } from "./snippet.mjs";
import { KEY, argv, newContext, option, root, startAgentFiles, startSightline, startSite, visit } from "./visit.mjs";

const SMOKE = argv.includes("--smoke");
/** Which regimes: repeat visits (one context and tab per variant) and/or first visits (fresh contexts). */
const REGIME = argv.includes("--warm") ? "repeat" : option("--regime", "both");
const REGIMES = REGIME === "both" ? ["repeat", "first"] : [REGIME];
if (!REGIMES.every((r) => r === "repeat" || r === "first")) throw new Error(`--regime ${REGIME}: both, repeat or first`);
/** Repeat visits not counted at the start of each variant: the cache and code cache fill up. */
const WARMUP = 3;
const CALIBRATE = option("--calibrate") === undefined ? undefined : Number(option("--calibrate"));
const RUNS = Number(option("--runs", SMOKE ? 3 : 30));
const BINARY = resolve(root, option("--binary", "target/debug/sightline"));
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const AGENT_FILES = argv.flatMap((arg, at) => (arg === "--agent" ? [resolve(argv[at + 1])] : []));

/** Peers: label, entry file (from the root), and the package it needs. */
const PEERS = [
  // The web-vitals Sightline's agent used until 2026-12-05 (the root's package), alone.
  ["web-vitals attribution alone", "bench/agent-size/entries/web-vitals-attribution.js", "web-vitals", { fromRoot: true }],
  // The least an agent built on web-vitals runs per visit (entries/floor.js).
  ["floor: web-vitals LCP/FCP/TTFB + session + beacon", "bench/agent-overhead/entries/floor.js", "web-vitals", { fromRoot: true }],
  ["@datadog/browser-rum-slim", "bench/agent-size/entries/datadog-rum-slim.js", "@datadog/browser-rum-slim"],
  ["@sentry/browser + tracing", "bench/agent-size/entries/sentry-tracing.js", "@sentry/browser"],
];

async function bundlePeer(entry, fromRoot) {
  const file = join(root, entry);
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

/** The tab a variant uses in a regime: a fresh context per load (first), or one kept open (repeat). */
async function tabFor(browser, variant, regime) {
  if (regime === "repeat" && variant.kept) return variant.kept;
  const context = await newContext(browser, variant.route);
  const tab = await context.newPage();
  const cdp = await context.newCDPSession(tab);
  // Thread CPU time: a busy machine slows every variant alike without inflating it.
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  // And wall time, in a second session: it also counts the main thread blocked in a script
  // (a synchronous storage read waits for the browser process) — and waiting for a CPU.
  const wall = await context.newCDPSession(tab);
  await wall.send("Performance.enable", { timeDomain: "timeTicks" });
  const kept = { context, tab, cdp, wall };
  if (regime === "repeat") variant.kept = kept;
  return kept;
}

/**
 * One visit. Its cost is the renderer's cumulative metrics read at its end: the counters are
 * per document (a navigation starts them again at 0, also in a kept tab — checked when the
 * benchmark was written), so they cover this page from its navigation to its hide.
 */
async function load(browser, variant, regime) {
  const { url, agentUrlPart } = variant;
  const { context, tab, cdp, wall } = await tabFor(browser, variant, regime);
  // A kept tab's heap holds the earlier pages' garbage: collected before, not during, the visit.
  if (regime === "repeat") await cdp.send("HeapProfiler.collectGarbage");
  await visit(tab, url);
  const { metrics } = await cdp.send("Performance.getMetrics");
  const metric = (name, from = metrics) => (from.find((m) => m.name === name)?.value ?? 0) * 1000;
  const wallScript = metric("ScriptDuration", (await wall.send("Performance.getMetrics")).metrics);
  const long = await tab.evaluate(() => window.__long);
  if (regime === "first") await context.close();
  // A long frame is the agent's when it would not be long without the agent's scripts.
  const agentFrames = agentUrlPart
    ? long.frames.filter((frame) => {
        const agentMs = frame.scripts.filter((s) => s.url.includes(agentUrlPart)).reduce((sum, s) => sum + s.duration, 0);
        return agentMs > 0 && frame.duration - agentMs < 50;
      })
    : [];
  return {
    script: metric("ScriptDuration"),
    task: metric("TaskDuration"),
    wallScript,
    longFrames: long.frames.length,
    agentLongFrames: agentFrames.length,
    // What each of them was: when, how long, and its scripts (the agent's and the others').
    agentFrames,
  };
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1) + 0.5))];
};

/**
 * Iterations of the calibration loop that take `ms` of CPU time here (Node's V8, optimized as
 * the page's would be after a few thousand iterations): work, not a wall-clock wait, because
 * the figures are thread time and the machine is shared.
 */
function calibrationLoops(ms) {
  const run = (n) => {
    let x = 0;
    for (let i = 0; i < n; i++) x = (Math.imul(x, 31) + i) | 0;
    return x;
  };
  run(1e6);
  const n = 2e7;
  const start = process.cpuUsage();
  globalThis.__sink = run(n);
  const { user, system } = process.cpuUsage(start);
  return Math.round((n * ms * 1000) / (user + system));
}

const median = (values) => percentile(values, 0.5);

/** A 90 % interval of the difference of medians (bootstrap, fixed seed: the same data prints the same). */
function diffInterval(a, b) {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const resample = (values) => values.map(() => values[Math.floor(random() * values.length)]);
  const diffs = Array.from({ length: 1000 }, () => median(resample(a)) - median(resample(b)));
  return [percentile(diffs, 0.05), percentile(diffs, 0.95)];
}

const signed = (x) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}`;

/** The figures of one variant in one regime, against the no-agent variant of the same regime. */
function figures(loads, base) {
  const script = loads.map((l) => l.script);
  const baseScript = base.map((l) => l.script);
  const [low, high] = diffInterval(script, baseScript);
  return {
    script50: median(script),
    added: median(script) - median(baseScript),
    low,
    high,
    addedTask: median(loads.map((l) => l.task)) - median(base.map((l) => l.task)),
    addedWall: median(loads.map((l) => l.wallScript)) - median(base.map((l) => l.wallScript)),
    caused: loads.reduce((sum, l) => sum + l.agentLongFrames, 0),
  };
}

function table(variants, regime) {
  const base = variants[0].loads[regime];
  const sightline = figures(variants[1].loads[regime], base);
  const header = [
    "variant",
    "script ms p50",
    "p10",
    "p90",
    "+ vs none",
    "90% interval",
    "× Sightline",
    "task ms p50",
    "+ vs none",
    "wall script p50",
    "+ vs none",
    "long frames/load",
    "caused by agent",
  ];
  const rows = variants.map((variant, n) => {
    const loads = variant.loads[regime];
    const f = figures(loads, base);
    const script = loads.map((l) => l.script);
    const sum = (key) => loads.reduce((total, l) => total + l[key], 0);
    return [
      variant.label,
      f.script50.toFixed(1),
      percentile(script, 0.1).toFixed(1),
      percentile(script, 0.9).toFixed(1),
      n === 0 ? "—" : signed(f.added),
      n === 0 ? "—" : `${signed(f.low)}…${signed(f.high)}`,
      n === 0 ? "—" : sightline.added > 0.05 ? `${(f.added / sightline.added).toFixed(1)}×` : "n/a",
      median(loads.map((l) => l.task)).toFixed(1),
      n === 0 ? "—" : signed(f.addedTask),
      median(loads.map((l) => l.wallScript)).toFixed(1),
      n === 0 ? "—" : signed(f.addedWall),
      (sum("longFrames") / loads.length).toFixed(2),
      n === 0 ? "—" : String(f.caused),
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

const TITLES = {
  repeat: (runs) =>
    `${runs} repeat visits per variant (one tab per variant, the page loaded again and again: HTTP cache and code cache warm; ${WARMUP} warm-up loads not counted)`,
  first: (runs) => `${runs} first visits per variant (a fresh context each: no HTTP cache, no code cache)`,
};

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
  // Other builds are served like /agent.js (gzip, ETag, max-age=300: cached, with V8's code
  // cache, on repeat visits) by a server of their own, and send to the real server.
  const files = await startAgentFiles();
  const addFile = (label, name, body) => {
    const path = `/${name}.js`;
    files.bodies.set(path, body);
    pages[name] = sightlineTags(files.origin, KEY, path, { endpoint: sightline.url });
    variants.push({ label, page: name, agentUrlPart: `${files.origin}${path}` });
  };
  AGENT_FILES.forEach((file, n) => addFile(`agent ${file.replace(`${root}/`, "")}`, `file${n}`, readFileSync(file, "utf8")));
  let calibration;
  if (CALIBRATE !== undefined) {
    // The served agent with a loop before it: the method must see the difference.
    const served = await fetch(`${sightline.url}/agent.js`).then((r) => r.text());
    const loops = calibrationLoops(CALIBRATE);
    const busy = `!function(){for(var x=0,i=0;i<${loops};i++)x=Math.imul(x,31)+i|0;self.__slCalibration=x}();\n`;
    // After the first line: the compile hint must stay the script's first comment.
    const cut = served.indexOf("\n") + 1;
    calibration = `Sightline + ${loops} loop iterations (${CALIBRATE} ms in Node)`;
    addFile(calibration, "calibrate", served.slice(0, cut) + busy + served.slice(cut));
    // The same file without the loop, served the same way: the pair to compare.
    addFile("Sightline /agent.js, same server as calibration", "served", served);
  }
  for (const [label, entry, pkg, { fromRoot = false } = {}] of argv.includes("--no-peers") ? [] : PEERS) {
    if (!peerInstalled(pkg)) {
      console.error(`(skipping ${label}: run make bench-agent-size to install it)`);
      continue;
    }
    const name = basename(entry);
    peers[name] = await bundlePeer(entry, fromRoot);
    variants.push({ label: `${label} ${peerVersion(pkg, fromRoot)}`, page: name, agentUrlPart: `/peer/${name}` });
  }
  for (const entry of Object.keys(peers)) pages[entry] = `<script async src="/peer/${entry}"></script>`;
  const site = await startSite({ pages, peers });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    for (const variant of variants) {
      variant.url = `${site.origin}/page/${variant.page}`;
      variant.loads = { repeat: [], first: [] };
    }
    // Not counted: one first visit per variant (the server's and the browser's first answers),
    // and the first WARMUP repeat visits (the scripts get cached and their code cache made).
    for (const regime of REGIMES) {
      for (let i = 0; i < (regime === "repeat" ? WARMUP : 1); i++) {
        for (const variant of variants) await load(browser, variant, regime);
      }
    }
    for (let run = 0; run < RUNS; run++) {
      for (const regime of REGIMES) {
        for (const variant of variants) variant.loads[regime].push(await load(browser, variant, regime));
      }
      if (!SMOKE && (run + 1) % 10 === 0) console.error(`  ${run + 1}/${RUNS} loads per variant and regime`);
    }
  } finally {
    await browser.close();
    site.close();
    files.close();
    await sightline.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (argv.includes("--json")) {
    console.log(JSON.stringify(variants.map(({ kept, route, ...variant }) => variant), null, 2));
    return;
  }
  const version = (await chromium.launch({ executablePath: CHROMIUM }).then(async (b) => [b.version(), await b.close()]))[0];
  const machine = `headless Chromium ${version}, ${cpus().length} × ${cpus()[0]?.model.trim()}`;
  for (const regime of REGIMES) {
    console.log(`Browser agent overhead, ${new Date().toISOString().slice(0, 10)}: ${TITLES[regime](RUNS)}, ${machine}`);
    console.log(table(variants, regime));
    console.log("");
  }
  console.log(
    "script = CDP ScriptDuration, task = TaskDuration (renderer main thread, thread time, the page's document from navigation to " +
      "the end of the visit: load, 3 clicks, scroll, hide); wall script = ScriptDuration in wall time (also counts a script blocked, e.g. on a " +
      "synchronous storage read, and waiting for a CPU on a busy machine: noisier); + vs none = difference of the medians, with a 90% bootstrap interval; " +
      "long frames = long animation frames ≥ 50 ms; caused by agent = frames that would be under 50 ms without the agent's scripts.",
  );
  // The frames counted against an agent, with their script attribution: is it the agent's
  // work, or a frame made long by something else (the page, a busy machine) that the agent
  // happened to run in?
  for (const regime of REGIMES) {
    for (const variant of variants.slice(1)) {
      variant.loads[regime].forEach((l, n) =>
        l.agentFrames.forEach((f) => {
          const scripts = f.scripts
            .map((s) => `${s.url.includes(variant.agentUrlPart) ? "agent" : s.url.replace(site.origin, "") || "(no url)"} ${s.invokerType} ${s.invoker} ${s.duration.toFixed(0)} ms`)
            .join("; ");
          console.log(
            `Long frame counted against ${variant.label} (${regime} load ${n + 1}): at ${f.start.toFixed(0)} ms, ${f.duration.toFixed(0)} ms ` +
              `(blocking ${f.blocking.toFixed(0)}); scripts: ${scripts}`,
          );
        }),
      );
    }
  }
  const verdict = (regime) => {
    const f = figures(variants[1].loads[regime], variants[0].loads[regime]);
    return { ...f, met: f.added <= 2 && f.caused === 0 };
  };
  if (calibration) {
    const pair = (regime) => {
      const of = (label) => median(variants.find((v) => v.label.startsWith(label)).loads[regime].map((l) => l.script));
      return signed(of(calibration) - of("Sightline /agent.js, same server"));
    };
    console.log(`Calibration (${calibration} − the same file without the loop): ${REGIMES.map((r) => `${r} ${pair(r)} ms`).join(", ")}`);
  }
  if (REGIMES.includes("repeat")) {
    const f = verdict("repeat");
    console.log(
      `Sightline target (≤ 2 ms added main-thread script time per page load, no long task caused by the agent), judged on ` +
        `repeat visits — the issue's "load a test page many times": ${signed(f.added)} ms (${signed(f.low)}…${signed(f.high)}), ` +
        `${f.caused} long frames — ${f.met ? "met" : "NOT met"}`,
    );
  }
  if (REGIMES.includes("first")) {
    const f = verdict("first");
    console.log(
      `First visits (cold, not the target's regime): ${signed(f.added)} ms (${signed(f.low)}…${signed(f.high)}), ${f.caused} long frames — ` +
        `${f.met ? "within" : "above"} 2 ms`,
    );
  }
}

main().catch((error) => {
  console.error(`bench-agent-overhead: ${error.stack ?? error}`);
  process.exit(1);
});
