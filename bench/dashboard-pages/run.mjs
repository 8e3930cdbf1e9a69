// The dashboard's page timings over a large store: how long each page takes to show its data
// to a logged-in user, against the real server over a data directory the query benchmark
// loaded (`query-bench --views 10000000 --all-kinds`: the simulated shop's every event kind).
//
// The release `sightline serve` runs on a loopback port over that directory, with a dashboard
// user of the benchmark's own (`sightline user`); headless Chromium (Debian's, driven by the
// root's playwright-core) logs in through the form and then, for each range (the last day,
// week and 30 days of the data, as custom ranges in the URL) and each page, loads the page's
// URL afresh: once unmeasured, then --runs times. A visit's figures are the time from the start
// of the navigation to the first data-bearing element (a table row, a tile's figure, a chart,
// the map's circles, a snippet) and to the last loading state gone, as the page's own DOM
// changes show them (a MutationObserver's clock: Playwright's waits return up to 500 ms late,
// which before 2026-12-06 (late morning) made slow pages look slower). A page with nothing to show
// for bulk-loaded data (Ingest health: a bulk load records no intake outcomes) is timed to its
// empty state, and the table says so. The medians are printed as a table, with the console
// errors and failed requests the visits saw (there should be none; the run then fails).
//
//   node bench/dashboard-pages/run.mjs --data-dir /tmp/sightline-query-bench/10000000
//        [--binary target/release/sightline] [--runs 5] [--ranges day,week,month]
//        [--pages overview,sessions,…] [--requests] [--smoke]
//
// --requests: after each page's last visit, its API requests: when each began (from the
// start of the visit) and how long it took (what to look at when a page is slow).
//
// --smoke: one run per page, the last day only, for CI (with a debug build over the query
// benchmark's small smoke data); it proves the benchmark works, its figures mean nothing.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

import { chromium } from "playwright-core";

import { listeningUrl } from "../listening.mjs";

const argv = process.argv.slice(2);
function option(name, fallback) {
  const at = argv.indexOf(name);
  return at >= 0 && at + 1 < argv.length ? argv[at + 1] : fallback;
}

const root = resolve(import.meta.dirname, "../..");
const SMOKE = argv.includes("--smoke");
const RUNS = Number(option("--runs", SMOKE ? 1 : 5));
const BINARY = resolve(root, option("--binary", "target/release/sightline"));
const DATA_DIR = option("--data-dir");
const RANGES = option("--ranges", SMOKE ? "day" : "day,week,month").split(",");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const PROJECT = "shop";
/** The dashboard user the benchmark logs in as, created (or given this password) before the server starts. */
const USER = "dashboard-bench";
const PASSWORD = "dashboard-pages-bench-password";
const DAY_MS = 86_400_000;
const RANGE_DAYS = { day: 1, week: 7, month: 30 };
/** The dashboard's pages; Setup and Ingest health read no events, but are timed alike. */
const ALL_PAGES = ["overview", "performance", "pages", "geography", "errors", "sessions", "network", "releases", "ingest-health", "setup"];
const PAGES = option("--pages", ALL_PAGES.join(",")).split(",");
const REQUESTS = argv.includes("--requests");
/** Elements that carry data (not a loading or empty state), as in web/e2e/dashboard.e2e.ts. */
const DATA =
  "main table.data tbody tr, main .tile .tile-value, main .chart canvas, main svg.map circle, main pre.stack, main [data-testid=snippet]";
const TARGET_MS = 1000;
/** What a visit waits for: data, or the page's empty or error state. */
const SHOWN = `${DATA}, main .state.empty, main .state.error`;

function fail(message) {
  console.error(`dashboard-pages: ${message}`);
  process.exit(2);
}

if (!DATA_DIR) fail("--data-dir is required: a directory loaded by `query-bench --all-kinds` (e.g. /tmp/sightline-query-bench/10000000)");
const windowFile = join(DATA_DIR, "query-bench-window.json");
if (!existsSync(windowFile)) fail(`${windowFile} is missing: load the directory with \`query-bench --all-kinds --data-dir ${DATA_DIR}\` first`);
if (!existsSync(BINARY)) fail(`no sightline binary at ${BINARY}: build it with \`cargo build --release -p sightline-cli\` (or pass --binary)`);
for (const range of RANGES) if (!(range in RANGE_DAYS)) fail(`--ranges: ${range} is not one of day, week, month`);
for (const name of PAGES) if (!ALL_PAGES.includes(name)) fail(`--pages: ${name} is not one of ${ALL_PAGES.join(", ")}`);
const { now_ms: endMs, views, parts = 1, parts_done: partsDone = parts } = JSON.parse(readFileSync(windowFile, "utf8"));
if (partsDone < parts) fail(`${DATA_DIR} holds ${partsDone} of ${parts} parts of its load: run its \`query-bench\` command again to finish it`);

/** Creates the benchmark's dashboard user in the data directory, or sets its password. */
function ensureUser(env) {
  const run = (command) => execFileSync(BINARY, ["user", command, USER, "--password-stdin", "--data-dir", DATA_DIR], { env, input: `${PASSWORD}\n`, stdio: ["pipe", "pipe", "pipe"] });
  try {
    run("set-password");
  } catch {
    run("create");
  }
}

/** `sightline serve` over the data directory. */
async function startServer() {
  const config = join(DATA_DIR, "dashboard-pages.toml");
  writeFileSync(
    config,
    [
      "# Written by bench/dashboard-pages/run.mjs.",
      'listen = "127.0.0.1:0"',
      `data_dir = ${JSON.stringify(resolve(DATA_DIR))}`,
      'log_level = "warn"',
      "[[projects]]",
      `id = "${PROJECT}"`,
      'name = "Dashboard benchmark"',
      'ingest_key = "pk_dashboard_bench_0001"',
      "retention_days = 36500",
      "",
    ].join("\n"),
  );
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("SIGHTLINE_")));
  ensureUser(env);
  const server = spawn(BINARY, ["serve", "--config", config], { env, stdio: ["ignore", "pipe", "inherit"] });
  const url = await listeningUrl(server, 120_000);
  const stop = async () => {
    if (server.exitCode !== null) return;
    server.kill("SIGTERM");
    await new Promise((done) => server.once("exit", done));
  };
  return { url, pid: server.pid, stop };
}

/** Logs in through the form (the first session check's 401 is expected, not a problem). */
async function login(page, url) {
  await page.goto(`${url}/`);
  await page.fill("input[name=user]", USER);
  await page.fill("input[name=password]", PASSWORD);
  await page.click("button[type=submit]");
  await page.waitForSelector("nav[aria-label=Pages]");
}

/**
 * One visit: milliseconds to the first data-bearing element (or, on a page with nothing to
 * show, its empty state, or an error) and to the last loading state gone; whether it showed
 * data, and how many of its sections showed an error instead (a query past its time limit).
 */
/** When the current visit began (epoch ms), for --requests. */
let visitStartedAt = 0;

async function visit(page, url) {
  visitStartedAt = Date.now();
  await page.goto(url);
  try {
    await page.waitForSelector(SHOWN, { timeout: 120_000 });
  } catch (error) {
    const shown = (await page.locator("main").textContent().catch(() => "")).slice(0, 300);
    throw new Error(`${url}: nothing shown within 120 s; the page shows: ${shown}`, { cause: error });
  }
  await page.waitForFunction(() => !document.querySelector(".state.loading, .pending"), undefined, { timeout: 120_000, polling: 20 });
  const { first, all } = await page.evaluate(() => window.__visit);
  return { first, all, data: (await page.locator(DATA).count()) > 0, failed: await page.locator("main .state.error").count() };
}

/**
 * Times a visit inside the page (installed before any of its scripts): when the DOM first
 * shows data (or an empty or error state) and when its last loading state went, in ms since
 * the navigation began. Playwright's waits poll at growing intervals (up to 500 ms apart), so
 * their return times are late by up to half a second; they only tell when to read these.
 */
function timeVisits(shown) {
  window.__visit = { first: null, all: null };
  new MutationObserver(() => {
    const marks = window.__visit;
    const now = performance.now();
    if (marks.first === null && document.querySelector(shown)) marks.first = now;
    if (marks.first === null) return;
    if (document.querySelector(".state.loading, .pending")) marks.all = null;
    else marks.all ??= now;
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
    return { rss: field("VmRSS"), peak: field("VmHWM") };
  } catch {
    return { rss: 0, peak: 0 };
  }
}

const server = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const problems = [];
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await page.addInitScript(timeVisits, SHOWN);
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 401/.test(m.text())) problems.push(`${page.url()}: console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`${page.url()}: page error: ${e.message}`));
  const requests = [];
  page.on("requestfinished", (r) => {
    if (!r.url().includes("/api/")) return;
    const { startTime, responseEnd } = r.timing();
    const since = (startTime - visitStartedAt).toFixed(0).padStart(6);
    requests.push(`at ${since} ms, ${responseEnd.toFixed(0).padStart(6)} ms  ${r.method()} ${r.url().replace(server.url, "")} ${r.postData() ?? ""}`);
  });
  page.on("response", (r) => {
    if (r.status() >= 400 && !(r.status() === 401 && r.url().endsWith("/api/v1/session"))) problems.push(`http ${r.status()} ${r.url()}`);
  });
  await login(page, server.url);
  console.log(
    `dashboard-pages: ${views} page views loaded, ${SMOKE ? "smoke run (figures mean nothing)" : `${RUNS} runs per page`}, ` +
      `server ${BINARY}, RSS ${rssMb(server.pid).rss.toFixed(0)} MB after login`,
  );
  const rows = [];
  for (const range of RANGES) {
    const from = new Date(endMs - RANGE_DAYS[range] * DAY_MS).toISOString();
    const to = new Date(endMs).toISOString();
    for (const name of PAGES) {
      const url = `${server.url}/${name}?project=${PROJECT}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
      const { data } = await visit(page, url); // unmeasured: the first visit warms the server's caches of this range
      const firsts = [];
      const alls = [];
      let failed = 0;
      for (let run = 0; run < RUNS; run++) {
        requests.length = 0;
        const visited = await visit(page, url);
        firsts.push(visited.first);
        alls.push(visited.all);
        failed = Math.max(failed, visited.failed);
      }
      rows.push({ range, name, data, failed, first: median(firsts), all: median(alls), max: Math.max(...alls) });
      console.error(`  ${range} ${name}: all data in ${alls.map((ms) => ms.toFixed(0)).join(", ")} ms`);
      if (REQUESTS) console.error(requests.map((line) => `    ${line}`).join("\n"));
    }
  }
  console.log("| range | page | shows | first data, median ms | all data, median ms | all data, slowest ms | ≤ 1 s |");
  console.log("|---|---|---|---:|---:|---:|---|");
  for (const row of rows) {
    const verdict = row.all <= TARGET_MS && !row.failed ? "meets" : "misses";
    const shows = `${row.data ? "data" : row.failed ? "error" : "empty state"}${row.failed ? ` (${row.failed} section${row.failed > 1 ? "s" : ""} failed)` : ""}`;
    console.log(`| ${row.range} | ${row.name} | ${shows} | ${row.first.toFixed(0)} | ${row.all.toFixed(0)} | ${row.max.toFixed(0)} | ${verdict} |`);
  }
  const memory = rssMb(server.pid);
  console.log(`server memory: RSS ${memory.rss.toFixed(0)} MB at the end, peak (VmHWM) ${memory.peak.toFixed(0)} MB`);
  if (problems.length) {
    console.log(`problems seen by the visits (${problems.length}):\n  ${problems.slice(0, 20).join("\n  ")}`);
    process.exitCode = 1;
  } else {
    console.log("no console error and no failed request in any visit");
  }
} finally {
  await browser.close();
  await server.stop();
}
