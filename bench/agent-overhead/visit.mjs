// The benchmark's visit, shared by run.mjs (overhead figures), profile.mjs and trace.mjs
// (where the time goes): a real `sightline serve` for the beacons, the loopback shop site
// (page.mjs), and one visit of it — navigate, wait for the products, click "Add to cart" three
// times, scroll to the bottom, hide the page (the agents send their final data). Also what the
// scripts share: the repository's root and the command-line option reader.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import { listeningUrl } from "../listening.mjs";
import { APP, STYLES, page, products, svg } from "./page.mjs";

export const KEY = "pk_bench_0123456789";

/** This directory, and the repository's root above it. */
export const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "../..");

/** The script's command-line arguments, and the value after `name` among them (or `fallback`). */
export const argv = process.argv.slice(2);
export function option(name, fallback) {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : fallback;
}

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** `sightline serve` from `binary` on a loopback port, with one project keyed KEY. */
export async function startSightline(binary, dataDir) {
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
  const server = spawn(binary, ["serve", "--config", config], { env, stdio: ["ignore", "pipe", "inherit"] });
  const url = await listeningUrl(server, 20_000);
  return {
    url,
    stop: async () => {
      if (server.exitCode !== null) return;
      server.kill("SIGTERM");
      await new Promise((done) => server.once("exit", done));
    },
  };
}

/** The shop: `/page/<name>` with `scripts.pages[name]` in its head, peers at `/peer/<entry>`. */
export async function startSite(scripts) {
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

/** Serves agent builds as `sightline serve` serves /agent.js: gzip, strong ETag, max-age=300. */
export async function startAgentFiles() {
  const bodies = new Map();
  const server = createServer((request, response) => {
    const body = bodies.get((request.url ?? "/").split("?")[0]);
    if (body === undefined) return response.writeHead(404).end();
    const etag = `"${createHash("sha256").update(body).digest("hex").slice(0, 32)}"`;
    const headers = { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=300", etag };
    if (request.headers["if-none-match"] === etag) return response.writeHead(304, headers).end();
    const gzip = /\bgzip\b/.test(request.headers["accept-encoding"] ?? "");
    response.writeHead(200, gzip ? { ...headers, "content-encoding": "gzip", vary: "accept-encoding" } : headers);
    response.end(gzip ? gzipSync(body, { level: 9 }) : body);
  });
  await new Promise((listening) => server.listen(0, "127.0.0.1", listening));
  return { origin: `http://127.0.0.1:${server.address().port}`, bodies, close: () => server.close() };
}

/** Collects long animation frames (and long tasks) from the start of the page. */
const OBSERVE_LONG_FRAMES = `
window.__long = { frames: [], tasks: 0 };
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) {
      window.__long.frames.push({ start: e.startTime, duration: e.duration, blocking: e.blockingDuration,
        scripts: e.scripts.map(function (s) { return { url: s.sourceURL, duration: s.duration,
          invoker: s.invoker, invokerType: s.invokerType, fn: s.sourceFunctionName }; }) });
    });
  }).observe({ type: "long-animation-frame", buffered: true });
  new PerformanceObserver(function (list) { window.__long.tasks += list.getEntries().length; })
    .observe({ type: "longtask", buffered: true });
} catch (e) {}
`;

/** A fresh context; `route` ([url, handler]) serves one more URL from the benchmark. */
export async function newContext(browser, route) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  if (route) await context.route(...route);
  // Peers send to their vendors' hosts: answer for them at once, off the main thread.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.fulfill({ status: 204, body: "" }));
  await context.addInitScript(OBSERVE_LONG_FRAMES);
  return context;
}

/** One visit of `url` in `tab`, ending with the page hidden as a tab switch hides it. */
export async function visit(tab, url) {
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
}
