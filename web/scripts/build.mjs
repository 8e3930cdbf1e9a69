// Builds the dashboard into web/dist: index.html, app.js, app.css (minified; the server
// embeds them and sends ETags, so the names carry no hash). `--check-size` prints the
// JavaScript's gzip size and fails over the budget.

import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import { build } from "esbuild";

import { landPlugin } from "./land.mjs";

const WEB = join(dirname(fileURLToPath(import.meta.url)), "..");
const FINAL = join(WEB, "dist");
// Built beside, then swapped in: a server reading web/dist never sees it half written.
const DIST = join(WEB, `.dist-${process.pid}`);
/** The first load's JavaScript, gzip (issue 6). */
const BUDGET = 150 * 1024;

const checkSize = process.argv.includes("--check-size");

rmSync(DIST, { recursive: true, force: true });
mkdirSync(DIST, { recursive: true });
await build({
  entryPoints: { app: join(WEB, "src/main.tsx"), "app-css": join(WEB, "src/app.css") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["chrome110", "firefox110", "safari16"],
  jsx: "automatic",
  jsxImportSource: "preact",
  outdir: DIST,
  legalComments: "none",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": '"production"' },
  plugins: [landPlugin],
});
// One stylesheet: esbuild names a CSS entry after it; keep `app.css`.
writeFileSync(join(DIST, "app.css"), readFileSync(join(DIST, "app-css.css")));
rmSync(join(DIST, "app-css.css"));
rmSync(join(DIST, "app-css.js"), { force: true });
writeFileSync(join(DIST, "index.html"), readFileSync(join(WEB, "index.html")));
const js = readFileSync(join(DIST, "app.js"));
const css = readFileSync(join(DIST, "app.css"));
rmSync(FINAL, { recursive: true, force: true });
renameSync(DIST, FINAL);

const gz = gzipSync(js, { level: 9 }).length;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `web/dist: app.js ${kib(js.length)} (${kib(gz)} gzip), app.css ${kib(css.length)} (${kib(gzipSync(css, { level: 9 }).length)} gzip); budget ${kib(BUDGET)} gzip of JavaScript`,
);
if (checkSize && gz > BUDGET) {
  console.error(`web: app.js is ${kib(gz)} gzip, over the budget of ${kib(BUDGET)}`);
  process.exit(1);
}
