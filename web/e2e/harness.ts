// The dashboard's end-to-end harness: the real `sightline serve` (debug build) on a loopback
// port with a temporary data dir, filled by the load generator and, for the XSS suite, by
// hostile beacons; Debian's Chromium driven by playwright-core.
//
// The dashboard is the one the server embeds and serves at `/`, logged into with its own
// session endpoints. A server built without them (GET /api/v1/session is 404) is fronted by
// web/scripts/dev.mjs instead — the same web/dist, the same strict CSP, the API forwarded
// with a token — and the suite says so on stderr.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";

import { type Browser, type ConsoleMessage, type Page, chromium } from "playwright-core";

import { startDev } from "../scripts/dev.mjs";

const execFileAsync = promisify(execFile);

export const ROOT = resolve(import.meta.dirname, "../..");
export const BINARY = process.env.SIGHTLINE_BIN ?? join(ROOT, "target/debug/sightline");
export const LOADGEN = process.env.SIGHTLINE_LOADGEN ?? join(ROOT, "target/debug/loadgen");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const SCREENSHOTS = join(ROOT, "target/web-screenshots");
export const PROJECT = "shop";
export const KEY = "pk_shop_e2e_0123456789";

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

export const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

export interface Stack {
  /** Where the dashboard is: the server itself, or the dev front. */
  url: string;
  /** The Sightline server. */
  serverUrl: string;
  mode: "server" | "dev";
  user: string;
  password: string;
  /** Whether the server answers /api/v1/outcomes (the Ingest health page). */
  hasOutcomes: boolean;
  post(beacon: { headers: Record<string, string>; body: string }): Promise<number>;
  loadgen(args: string[]): Promise<string>;
  stop(): Promise<void>;
  log(): string;
}

export async function startStack(): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "sightline-web-e2e-"));
  const dataDir = join(dir, "data");
  const config = join(dir, "sightline.toml");
  writeFileSync(
    config,
    [
      `listen = "127.0.0.1:0"`,
      `data_dir = ${JSON.stringify(dataDir)}`,
      `log_level = "warn"`,
      "[intake]",
      // loadgen sends one address per simulated visitor and a CDN country header.
      `trusted_proxies = ["127.0.0.1/32"]`,
      "trust_cdn_headers = true",
      "[api]",
      // A page runs a few queries at once and navigation abandons some still running.
      "max_concurrent_queries = 32",
      "[[projects]]",
      `id = "${PROJECT}"`,
      `name = "Web shop"`,
      `ingest_key = "${KEY}"`,
      `allowed_origins = ["*"]`,
      "rate_limit_per_second = 0",
      "drop_bots = false",
      "",
    ].join("\n"),
  );
  const env: Record<string, string> = Object.fromEntries(
    Object.entries(process.env).filter(([key, value]) => !key.startsWith("SIGHTLINE_") && value !== undefined),
  ) as Record<string, string>;
  const user = process.env.SIGHTLINE_E2E_USER ?? "admin";
  // The first administrator gets this password on the first start (instead of a random one).
  const password = process.env.SIGHTLINE_E2E_PASSWORD ?? "web-e2e-admin-password";
  env.SIGHTLINE_ADMIN_PASSWORD = password;
  let started = await spawnServer(config, env);
  if ("unknownEnv" in started) {
    // A server older than dashboard logins refuses the variable; it gets the dev front anyway.
    delete env.SIGHTLINE_ADMIN_PASSWORD;
    started = await spawnServer(config, env);
  }
  if ("unknownEnv" in started) throw new Error("sightline refused its environment");
  const { server, serverUrl, exited } = started;
  const output = () => started.output();

  const session = await fetch(`${serverUrl}/api/v1/session`);
  const index = await fetch(`${serverUrl}/`).then((r) => r.text()).catch(() => "");
  let mode: Stack["mode"] = "server";
  let url = serverUrl;
  let closeDev = () => {};
  // SIGHTLINE_WEB_E2E_DEV=1 tests the current web/dist without rebuilding the binary.
  const forced = process.env.SIGHTLINE_WEB_E2E_DEV === "1";
  if (forced || session.status === 404 || !index.includes("app.js")) {
    mode = "dev";
    console.error(
      forced
        ? "web e2e: SIGHTLINE_WEB_E2E_DEV=1: the dashboard is served by web/scripts/dev.mjs from web/dist"
        : "web e2e: this server has no dashboard session endpoints yet; the dashboard is served by web/scripts/dev.mjs with a token",
    );
    const { stdout } = await execFileAsync(BINARY, ["token", "create", "--all-projects", "--name", "web-e2e", "--data-dir", dataDir], { env });
    const dev = await startDev({ upstream: serverUrl, token: stdout.trim(), password });
    url = dev.url;
    closeDev = dev.close;
  }
  const hasOutcomes = (await fetch(`${serverUrl}/api/v1/outcomes?project=${PROJECT}`)).status !== 404;

  return {
    url,
    serverUrl,
    mode,
    user,
    password,
    hasOutcomes,
    post: async (beacon) => (await fetch(`${serverUrl}/ingest/v1/${KEY}`, { method: "POST", headers: beacon.headers, body: beacon.body })).status,
    loadgen: async (args) => {
      const { stdout, stderr } = await execFileAsync(LOADGEN, ["--url", serverUrl, "--key", KEY, ...args], { env, timeout: 120_000 });
      return stdout + stderr;
    },
    stop: async () => {
      closeDev();
      server.kill("SIGTERM");
      const code = await Promise.race([exited, sleep(20_000).then(() => "timeout" as const)]);
      children.delete(server);
      if (code === "timeout") server.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
    log: output,
  };
}

interface Started {
  server: ChildProcess;
  serverUrl: string;
  exited: Promise<number | null>;
  output(): string;
}

async function spawnServer(config: string, env: Record<string, string>): Promise<Started | { unknownEnv: true; output(): string }> {
  const server = spawn(BINARY, ["serve", "--config", config], { env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(server);
  let output = "";
  server.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((done) => server.once("exit", (code) => done(code)));
  try {
    const serverUrl = await new Promise<string>((found, fail) => {
      const timer = setTimeout(() => fail(new Error(`sightline did not start within 30 s:\n${output}`)), 30_000);
      void exited.then((code) => fail(new Error(`sightline exited with ${code}:\n${output}`)));
      createInterface({ input: server.stdout! }).on("line", (line) => {
        output += line + "\n";
        const match = /listening on (http:\/\/\S+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          found(match[1]);
        }
      });
    });
    return { server, serverUrl, exited, output: () => output };
  } catch (error) {
    children.delete(server);
    if (/unknown environment variable SIGHTLINE_ADMIN_PASSWORD/.test(output)) return { unknownEnv: true, output: () => output };
    throw error;
  }
}

export async function launch(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

/** A page whose console errors, page errors, dialogs and CSP violations are recorded. */
export async function openPage(browser: Browser): Promise<{ page: Page; problems: string[]; dialogs: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const problems: string[] = [];
  const dialogs: string[] = [];
  page.on("console", (m: ConsoleMessage) => {
    if (m.type() !== "error" && m.type() !== "warning") return;
    problems.push(`console ${m.type()}: ${m.text()}${m.location().url ? ` (${m.location().url})` : ""}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  // Chromium's console line for a failed load does not name the URL: record it beside.
  page.on("response", (r) => {
    if (r.status() >= 400) problems.push(`http ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  page.on("dialog", (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  return { page, problems, dialogs };
}

/** Logs in through the form. The first GET /api/v1/session answers 401 (not logged in yet): that console line is expected and removed. */
export async function login(page: Page, stack: Stack, problems: string[]): Promise<void> {
  await page.goto(`${stack.url}/`);
  await page.fill("input[name=user]", stack.user);
  await page.fill("input[name=password]", stack.password);
  await page.click("button[type=submit]");
  await page.waitForSelector("nav[aria-label=Pages]");
  const expected = problems.filter((p) => /^http 401 GET .*\/api\/v1\/session$/.test(p));
  if (expected.length !== 1) throw new Error(`expected one 401 from GET /api/v1/session while logging in: ${problems.join("\n")}`);
  const expectedLine = (p: string) => /status of 401 .*\/api\/v1\/session\)$/.test(p) || /^http 401 GET .*\/api\/v1\/session$/.test(p);
  problems.splice(0, problems.length, ...problems.filter((p) => !expectedLine(p)));
}

/** Waits until no "Loading…" state or pending cell is left on the page. */
export async function settled(page: Page, timeout = 60_000): Promise<void> {
  await page.waitForFunction(() => !document.querySelector(".state.loading, .pending"), undefined, { timeout, polling: 100 });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
