// The size table of the browser agent and its peers.
//
// Each peer's minimal "init + RUM" entry (entries/*.js) is bundled with the same esbuild
// settings (bundle, minify, IIFE, browser platform, es2020), then measured raw, gzip -9 and
// brotli -11, next to Sightline's /agent.js as the server serves it (GET from a real
// `sightline serve`, or --agent FILE) and Sightline's source bundled with the same settings. Run with `make bench-agent-size`, which installs the
// peers (this folder's own package.json) first.
//
//   node bench/agent-size/run.mjs [--agent FILE] [--binary target/debug/sightline] [--json]

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

import { build } from "esbuild";

import { listeningUrl } from "../listening.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");

/** The esbuild settings every entry is bundled with. */
export const ESBUILD_SETTINGS = {
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: ["es2020"],
  write: false,
  legalComments: "none",
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "silent",
};

/** Rows of the table: label and entry file (entries/<file>). */
const PEERS = [
  ["@datadog/browser-rum", "datadog-rum.js"],
  ["@datadog/browser-rum-slim", "datadog-rum-slim.js"],
  ["@sentry/browser + browserTracingIntegration", "sentry-tracing.js"],
  ["@grafana/faro-web-sdk + faro-web-tracing", "faro.js"],
  ["@grafana/faro-web-sdk (no tracing)", "faro-no-tracing.js"],
  ["@elastic/apm-rum", "elastic-apm-rum.js"],
  ["OpenTelemetry web (sdk-trace-web, fetch, document-load, OTLP)", "opentelemetry-web.js"],
  ["boomerang (RUM plugins)", "boomerang.js"],
  ["web-vitals {web-vitals} attribution alone", "web-vitals-attribution.js"],
];

function args() {
  const argv = process.argv.slice(2);
  const value = (name) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  return { agent: value("--agent"), binary: value("--binary"), json: argv.includes("--json") };
}

export function sizes(bytes) {
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }).length;
  return { raw: bytes.length, gzip, brotli };
}

function peerVersion(name) {
  try {
    return JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return "(not installed)";
  }
}

async function bundle(entry) {
  const result = await build({ ...ESBUILD_SETTINGS, entryPoints: [entry], absWorkingDir: here });
  return Buffer.from(result.outputFiles[0].contents);
}

/** GET /agent.js from a real `sightline serve` on a loopback port with a temporary data dir. */
async function servedAgent(binary) {
  const data = mkdtempSync(join(tmpdir(), "sightline-size-"));
  const server = spawn(binary, ["serve", "--listen", "127.0.0.1:0", "--log-level", "warn", "--data-dir", data], {
    stdio: ["ignore", "pipe", "inherit"],
    env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("SIGHTLINE_"))),
  });
  try {
    const address = await listeningUrl(server, 20_000);
    const response = await fetch(`${address}/agent.js`);
    if (!response.ok) throw new Error(`GET /agent.js answered ${response.status}`);
    return Buffer.from(await response.arrayBuffer());
  } finally {
    server.kill("SIGTERM");
    await new Promise((done) => (server.exitCode !== null ? done() : server.once("exit", done)));
    rmSync(data, { recursive: true, force: true });
  }
}

const kib = (bytes) => (bytes / 1024).toFixed(1);

function table(rows, reference) {
  const header = ["bundle", "raw KiB", "gzip KiB", "brotli KiB", "gzip × Sightline"];
  const lines = rows.map((row) => [
    row.label,
    kib(row.raw),
    kib(row.gzip),
    kib(row.brotli),
    `${(row.gzip / reference.gzip).toFixed(1)}×`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column].length)));
  const format = (cells) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(" | ")} |`;
  return [
    format(header),
    `|${widths.map((width, column) => (column === 0 ? "-".repeat(width + 2) : `${"-".repeat(width + 1)}:`)).join("|")}|`,
    ...lines.map(format),
  ].join("\n");
}

async function main() {
  const options = args();
  let agent;
  if (options.agent) {
    agent = readFileSync(options.agent);
  } else {
    const binary = resolve(root, options.binary ?? "target/debug/sightline");
    if (!existsSync(binary)) throw new Error(`${binary} is missing: cargo build -p sightline-cli (or --agent FILE)`);
    agent = await servedAgent(binary);
  }
  const reference = { label: "Sightline /agent.js (as served)", ...sizes(agent) };
  // The same source through the peers' settings (the served file is also passed through terser).
  const own = await build({
    ...ESBUILD_SETTINGS,
    entryPoints: [join(root, "agent/src/global.ts")],
    define: { ...ESBUILD_SETTINGS.define, __AGENT_VERSION__: '"bench"' },
  });
  const rows = [reference, { label: "Sightline agent/src, the peers' esbuild settings", ...sizes(Buffer.from(own.outputFiles[0].contents)) }];
  const missing = readdirSync(join(here, "entries")).filter((file) => !PEERS.some(([, entry]) => entry === file));
  if (missing.length) throw new Error(`entries without a row: ${missing.join(", ")}`);
  // The web-vitals inside Sightline's agent (the root's), alone, for the share it takes.
  const inside = await build({
    ...ESBUILD_SETTINGS,
    stdin: { contents: readFileSync(join(here, "entries/web-vitals-attribution.js"), "utf8"), resolveDir: root },
  });
  const insideVersion = JSON.parse(readFileSync(join(root, "node_modules/web-vitals/package.json"), "utf8")).version;
  rows.push({ label: `web-vitals ${insideVersion} attribution alone (the one inside Sightline)`, ...sizes(Buffer.from(inside.outputFiles[0].contents)) });
  const skipped = [];
  for (const [label, entry] of PEERS) {
    try {
      rows.push({ label: label.replace("{web-vitals}", peerVersion("web-vitals")), ...sizes(await bundle(join("entries", entry))) });
    } catch (error) {
      // A peer that is not installed (make bench-agent-size installs them all) is left out.
      if (!/Could not resolve/.test(String(error.message))) throw error;
      skipped.push(label);
    }
  }
  if (options.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log(`Browser agent size, ${new Date().toISOString().slice(0, 10)}: esbuild ${JSON.stringify({ minify: true, format: "iife", target: "es2020" })}, gzip -9, brotli -11`);
  console.log(table(rows, reference));
  if (skipped.length) console.log(`Not installed, left out (make bench-agent-size installs them): ${skipped.join("; ")}`);
  const budget = 12 * 1024;
  const within = reference.gzip <= budget;
  console.log(`Sightline budget: ≤ 12 KiB gzip (aim 10): ${kib(reference.gzip)} KiB — ${within ? "within" : "OVER"} budget`);
}

main().catch((error) => {
  console.error(`bench-agent-size: ${error.message}`);
  process.exit(1);
});
