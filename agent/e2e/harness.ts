// The end-to-end harness: the real Sightline server, small loopback web sites that record
// what they receive, Debian's Chromium, and read-back through `sightline sql`.
//
// Every process and server started here is stopped by `cleanup()` (called from each suite's
// afterAll) or, at the latest, when the test process exits.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, createServer, request as httpRequest } from "node:http";
import { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { crc32, deflateSync } from "node:zlib";

import { type Browser, chromium } from "playwright-core";

const execFileAsync = promisify(execFile);

export const ROOT = resolve(import.meta.dirname, "../..");
export const BINARY = process.env.SIGHTLINE_BIN ?? join(ROOT, "target/debug/sightline");
/**
 * An agent build to test in place of the one embedded in BINARY (e.g. `agent/dist/agent.js`
 * after `npm run agent:build`): the pages then talk to a loopback proxy in front of the
 * server that answers `/agent.js` from this file and forwards everything else. The binary
 * embeds the agent when it is built; this tests a change of the agent without rebuilding it.
 */
export const AGENT_FILE = process.env.SIGHTLINE_AGENT_FILE ? resolve(ROOT, process.env.SIGHTLINE_AGENT_FILE) : undefined;
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
/** The project every suite sends to, and its ingest key (as in the snippet). */
export const PROJECT = "e2e";
export const KEY = "pk_e2e_0123456789";

const cleanups: Array<() => Promise<void> | void> = [];
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** Stops everything started since the last call, newest first. */
export async function cleanup(): Promise<void> {
  while (cleanups.length) {
    const step = cleanups.pop();
    try {
      await step?.();
    } catch (error) {
      console.error("cleanup:", error);
    }
  }
}

/** Waits until `check` returns a truthy value, polling; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    }
    await sleep(100);
  }
}

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

// ---------------------------------------------------------------------------------------------
// The Sightline server

export interface Sightline {
  /** `http://127.0.0.1:PORT` */
  url: string;
  dataDir: string;
  /** Events stored so far, by kind, from `/metrics`. */
  accepted(): Promise<Record<string, number>>;
  /** Waits until at least `min[kind]` events of each kind are stored. */
  waitForEvents(min: Record<string, number>, timeoutMs?: number): Promise<Record<string, number>>;
  /** SIGTERM, then waits for a clean exit (the store flushes). */
  stop(): Promise<void>;
  /** One query with `sightline sql` on the stopped store: the rows. */
  sql(query: string): Promise<Array<Record<string, unknown>>>;
  /** What the server wrote to stderr (for failure messages). */
  log(): string;
}

export interface SightlineOptions {
  /** TOML lines added to the project table. */
  project?: string[];
}

/** Starts `sightline serve` on a loopback port with a temporary data dir and a known key. */
export async function startSightline(options: SightlineOptions = {}): Promise<Sightline> {
  const dataDir = mkdtempSync(join(tmpdir(), "sightline-e2e-"));
  const config = join(dataDir, "sightline.toml");
  writeFileSync(
    config,
    [
      `listen = "127.0.0.1:0"`,
      `data_dir = ${JSON.stringify(join(dataDir, "data"))}`,
      `log_level = "warn"`,
      "",
      "[[projects]]",
      `id = "${PROJECT}"`,
      `ingest_key = "${KEY}"`,
      `allowed_origins = ["*"]`,
      // Headless Chromium is a bot by its user agent; the suite's pages are real all the same.
      "drop_bots = false",
      ...(options.project ?? []),
      "",
    ].join("\n"),
  );
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("SIGHTLINE_")));
  const server = spawn(BINARY, ["serve", "--config", config], { env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(server);
  let stderr = "";
  server.stderr?.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((done) => server.once("exit", (code) => done(code)));
  const serverUrl = await new Promise<string>((found, fail) => {
    const timer = setTimeout(() => fail(new Error(`sightline did not start within 20 s:\n${stderr}`)), 20_000);
    void exited.then((code) => fail(new Error(`sightline exited with ${code}:\n${stderr}`)));
    // The server keeps its stdout open; reading it to the end keeps its pipe from filling.
    createInterface({ input: server.stdout! }).on("line", (line) => {
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        found(match[1]);
      }
    });
  });

  let url = serverUrl;
  if (AGENT_FILE) {
    const proxy = await agentProxy(serverUrl, readFileSync(AGENT_FILE));
    cleanups.push(proxy.close);
    url = proxy.url;
  }

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    server.kill("SIGTERM");
    const code = await Promise.race([exited, sleep(20_000).then(() => "timeout" as const)]);
    children.delete(server);
    if (code === "timeout") {
      server.kill("SIGKILL");
      throw new Error(`sightline did not stop within 20 s of SIGTERM:\n${stderr}`);
    }
    if (code !== 0) throw new Error(`sightline exited with ${code}:\n${stderr}`);
  };
  cleanups.push(async () => {
    await stop().catch(() => server.kill("SIGKILL"));
    rmSync(dataDir, { recursive: true, force: true });
  });

  const accepted = async () => {
    const text = await (await fetch(`${serverUrl}/metrics`)).text();
    const counts: Record<string, number> = {};
    for (const match of text.matchAll(/^sightline_events_accepted_total\{([^}]*)\} (\S+)$/gm)) {
      const kind = /kind="([^"]+)"/.exec(match[1])?.[1] ?? "?";
      counts[kind] = (counts[kind] ?? 0) + Number(match[2]);
    }
    return counts;
  };

  return {
    url,
    dataDir,
    accepted,
    waitForEvents: async (min, timeoutMs) => {
      let counts: Record<string, number> = {};
      try {
        return await waitFor(
          `stored events ${JSON.stringify(min)}`,
          async () => {
            counts = await accepted();
            return Object.entries(min).every(([kind, n]) => (counts[kind] ?? 0) >= n) ? counts : undefined;
          },
          timeoutMs,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}; stored: ${JSON.stringify(counts)}`);
      }
    },
    stop,
    sql: async (query) => {
      if (!stopped) throw new Error("stop the server before reading the store");
      const { stdout } = await execFileAsync(BINARY, ["sql", "--data-dir", join(dataDir, "data"), query], {
        env,
        timeout: 30_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout
        .split("\n")
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    log: () => stderr,
  };
}

/** A loopback proxy to `upstream` that answers `/agent.js` with `agent` (see AGENT_FILE). */
async function agentProxy(upstream: string, agent: Buffer): Promise<{ url: string; close: () => void }> {
  const target = new URL(upstream);
  const proxy = createServer((request, response) => {
    if ((request.url ?? "").split("?")[0] === "/agent.js") {
      response.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" }).end(agent);
      return;
    }
    const forward = httpRequest(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: { ...request.headers, host: target.host } },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on("error", () => response.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((listening) => proxy.listen(0, "127.0.0.1", listening));
  return { url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, close: () => void proxy.close() };
}

// ---------------------------------------------------------------------------------------------
// Loopback web sites

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Route =
  | string
  | { status?: number; headers?: Record<string, string>; body?: string | Buffer; delayMs?: number }
  | ((request: IncomingMessage, body: string, response: ServerResponse) => void | Promise<void>);

export interface Site {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** Every request received, in order. */
  received: Received[];
  /** Adds or replaces a route (exact path, without the query). */
  route(path: string, route: Route): void;
}

/**
 * A small HTTP server on a loopback port: HTML routes are served as `text/html`, unknown
 * paths are 404. Every request is recorded with its headers. CORS is open (any origin, any
 * header), so that a header the agent should not have sent would arrive and be seen.
 */
export async function startSite(routes: Record<string, Route> = {}): Promise<Site> {
  const table = new Map<string, Route>([["/favicon.ico", { status: 204 }], ...Object.entries(routes)]);
  const received: Received[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const path = (request.url ?? "/").split("?")[0];
    received.push({ method: request.method ?? "GET", path, headers: request.headers, body });
    response.setHeader("access-control-allow-origin", "*");
    response.setHeader("access-control-allow-headers", request.headers["access-control-request-headers"] ?? "*");
    response.setHeader("access-control-allow-methods", "GET, POST, PUT, DELETE");
    response.setHeader("timing-allow-origin", "*");
    // Revalidated, not "no-store": a no-store page never enters the back/forward cache.
    response.setHeader("cache-control", "no-cache");
    if (request.method === "OPTIONS") {
      response.writeHead(204).end();
      return;
    }
    const route = table.get(path);
    try {
      if (route === undefined) {
        response.writeHead(404, { "content-type": "text/plain" }).end("not found");
      } else if (typeof route === "string") {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(route);
      } else if (typeof route === "function") {
        await route(request, body, response);
      } else {
        if (route.delayMs) await sleep(route.delayMs);
        response.writeHead(route.status ?? 200, { "content-type": "text/plain", ...route.headers }).end(route.body ?? "");
      }
    } catch (error) {
      if (!response.headersSent) response.writeHead(500).end(String(error));
    }
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const { port } = server.address() as AddressInfo;
  cleanups.push(
    () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  );
  return { origin: `http://127.0.0.1:${port}`, received, route: (path, route) => table.set(path, route) };
}

// ---------------------------------------------------------------------------------------------
// The browser

/** Debian's Chromium, headless; `bfcache` keeps the back/forward cache Playwright turns off. */
export async function launchBrowser(options: { bfcache?: boolean } = {}): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    ignoreDefaultArgs: options.bfcache ? ["--disable-back-forward-cache"] : [],
  });
  cleanups.push(() => browser.close());
  return browser;
}

// ---------------------------------------------------------------------------------------------
// Pages

/**
 * The loader snippet exactly as docs/agent.md documents it (read from there, so that a broken
 * documented snippet fails these tests), pointed at the Sightline server's /agent.js; then
 * `init`. The agent sends to the server it was loaded from unless `endpoint` says otherwise.
 */
export function snippet(sightlineUrl: string, options: Record<string, unknown>): string {
  return `<script>
${documentedLoader().replace("https://rum.example.com/agent.js", `${sightlineUrl}/agent.js`)}
sightline("init", ${JSON.stringify({ projectKey: KEY, ...options })});
</script>`;
}

let loader: string | undefined;
function documentedLoader(): string {
  if (loader) return loader;
  const doc = readFileSync(join(ROOT, "docs/agent.md"), "utf8");
  const line = doc.split("\n").find((l) => l.startsWith("!function(") && l.includes("https://rum.example.com/agent.js"));
  if (!line) throw new Error("docs/agent.md no longer shows the loader snippet for https://rum.example.com/agent.js");
  return (loader = line);
}

/**
 * An observer of the page's own, independent of the agent: what the browser reported for
 * LCP, FCP, TTFB, layout shifts and interactions, kept in `window.__observed`.
 */
export const OBSERVER = `<script>
(function () {
  var o = (window.__observed = { lcp: null, fcp: null, ttfb: null, shifts: [], interactions: {} });
  var nav = performance.getEntriesByType("navigation")[0];
  o.ttfb = nav ? nav.responseStart : null;
  function watch(type, fn, extra) {
    var options = { type: type, buffered: true };
    for (var k in extra || {}) options[k] = extra[k];
    new PerformanceObserver(function (list) { list.getEntries().forEach(fn); }).observe(options);
  }
  watch("largest-contentful-paint", function (e) { o.lcp = { value: e.startTime, url: e.url, id: e.id }; });
  watch("paint", function (e) { if (e.name === "first-contentful-paint") o.fcp = e.startTime; });
  watch("layout-shift", function (e) { o.shifts.push({ value: e.value, time: e.startTime, input: e.hadRecentInput }); });
  watch("event", function (e) {
    if (!e.interactionId) return;
    var old = o.interactions[e.interactionId];
    if (!old || e.duration > old.duration) o.interactions[e.interactionId] = { duration: e.duration, start: e.startTime, name: e.name };
  }, { durationThreshold: 16 });
})();
</script>`;

export interface Observed {
  lcp: { value: number; url: string; id: string } | null;
  fcp: number | null;
  ttfb: number | null;
  shifts: Array<{ value: number; time: number; input: boolean }>;
  interactions: Record<string, { duration: number; start: number; name: string }>;
}

/** CLS as web-vitals defines it: the largest session window (gaps < 1 s, at most 5 s). */
export function clsOf(shifts: Observed["shifts"], from = 0): number {
  let best = 0;
  let window = 0;
  let first = -Infinity;
  let last = -Infinity;
  for (const shift of shifts.filter((s) => !s.input && s.time >= from)) {
    if (shift.time - last < 1000 && shift.time - first < 5000) window += shift.value;
    else {
      window = shift.value;
      first = shift.time;
    }
    last = shift.time;
    best = Math.max(best, window);
  }
  return best;
}

/** A full page: the observer, the snippet, then `body`. */
export function pageHtml(sightlineUrl: string, options: Record<string, unknown>, body: string, head = ""): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>e2e</title>
${OBSERVER}
${snippet(sightlineUrl, options)}
${head}
</head><body>
${body}
</body></html>`;
}

/**
 * A grey-noise PNG. Chromium leaves images of little information per pixel out of LCP
 * (a flat SVG is not "contentful"), so the hero of a test page must be a real picture.
 */
export function noisePng(width: number, height: number, seed = 1): Buffer {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 24) & 0xff;
  const rows = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rows[y * (width + 1) + 1 + x] = random();
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
