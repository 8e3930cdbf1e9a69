// `sightline demo` in a real browser: the demo shop at /demo/ is clicked through (a product,
// add to cart, rage clicks on "Apply coupon", the SPA checkout to the order), and that very
// session is found in the dashboard, logged in with the demo's password. Then the history's
// stories on the dashboard's pages (all five are checked through the API by
// crates/cli/tests/cli/demo.rs).
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";

import { BINARY, launch, openPage, screenshot, settled, sleep } from "./harness";

let demo: ChildProcess;
let url = "";
let dataDir = "";
let browser: Browser;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "sightline-demo-e2e-"));
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("SIGHTLINE_")));
  demo = spawn(
    BINARY,
    ["demo", "--listen", "127.0.0.1:0", "--log-level", "warn", "--history-views", "4000", "--live-rate", "1", "--data-dir", dataDir],
    { env, stdio: ["ignore", "pipe", "ignore"] },
  );
  const lines = createInterface({ input: demo.stdout! });
  for await (const line of lines) {
    const address = /listening on (http:\/\/\S+)/.exec(line);
    if (address) url = address[1];
    if (line.includes("docs/demo.md")) break;
  }
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  demo?.kill("SIGTERM");
  await new Promise((done) => demo?.once("exit", done));
  rmSync(dataDir, { recursive: true, force: true });
});

test("a visit to the demo shop appears as a session in the dashboard", async () => {
  // Headless Chromium is a bot by its user agent: the demo project keeps bots (flagged).
  const { page, problems } = await openPage(browser);
  await page.goto(`${url}/demo/`);
  await page.click("a.card >> nth=0");
  await page.waitForSelector("button.add-to-cart");
  await page.click("button.add-to-cart");
  for (let i = 0; i < 4; i++) await page.click("button.apply-coupon", { delay: 0 });
  await page.click("text=Go to checkout");
  await page.click("text=Continue to shipping");
  await page.fill("input[name=name]", "Ada");
  await page.click("text=Continue to payment");
  await page.click("button.place-order");
  await page.waitForSelector("text=Thank you!");
  await screenshot(page, "demo-shop-done");
  const sessionId: string = await page.evaluate(() => {
    const raw = Object.keys(localStorage).map((key) => localStorage.getItem(key) ?? "").join(" ");
    return /[0-9a-f]{32}/.exec(raw)?.[0] ?? "";
  });
  // Leaving the page flushes the agent's last beacon.
  await page.goto(`${url}/`);
  expect(problems.filter((p) => !/401/.test(p))).toEqual([]);

  await page.fill("input[name=user]", "admin");
  await page.fill("input[name=password]", "sightline-demo");
  await page.click("button[type=submit]");
  await page.waitForSelector("nav[aria-label=Pages]");

  // The session, through the API with the dashboard's cookie, within seconds.
  let sessions: string[] = [];
  let last = "";
  for (let attempt = 0; attempt < 40 && sessions.length === 0; attempt++) {
    sessions = await page.evaluate(async () => {
      const response = await fetch("/api/v1/sql?project=shop", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Sightline-CSRF": "1" },
        body: JSON.stringify({ sql: "SELECT DISTINCT session_id FROM view WHERE release = 'demo-shop'" }),
      });
      const answer = await response.json();
      return [JSON.stringify(answer), (answer.rows ?? []).map((row: unknown[] | Record<string, unknown>) =>
        String(Array.isArray(row) ? row[0] : row.session_id),
      )] as [string, string[]];
    }).then(([raw, ids]) => {
      last = raw;
      return ids;
    });
    if (sessions.length === 0) await sleep(500);
  }
  if (sessions.length === 0) {
    const metrics = await (await fetch(`${url}/metrics`)).text();
    last += metrics.split("\n").filter((l) => /outcomes_total|beacons_/.test(l) && !l.startsWith("#")).join("\n");
  }
  expect(sessions.length, last).toBe(1);
  if (sessionId) expect(sessions).toContain(sessionId);

  // And in the sessions list (narrowed to the shop's release), then its timeline.
  await page.goto(`${url}/sessions?project=shop&range=15m&release=demo-shop`);
  await settled(page);
  const rows = page.locator("main table.data tbody tr");
  await rows.first().waitFor({ timeout: 30_000 });
  expect(await rows.count()).toBe(1);
  await screenshot(page, "demo-sessions");
  await rows.first().click();
  await page.waitForURL(new RegExp(`/sessions/${sessions[0]}`));
  await settled(page);
  const kinds = await page.locator("main .kind").allTextContents();
  expect(kinds).toContain("view");
  expect(kinds).toContain("action");
  expect(await page.locator("main").textContent()).toMatch(/Apply coupon · rage/);
  await screenshot(page, "demo-session");
});

/** The row of a figure in the Releases page's comparison: [baseline, compared, change]. */
async function releaseRow(page: Page, label: string): Promise<string[]> {
  const row = page.locator("main table.data").first().locator("tbody tr", { hasText: label });
  return (await row.first().locator("td").allTextContents()).slice(1, 4).map((cell) => cell.trim());
}

function dashboardUrl(path: string, params: Record<string, string>, filters: string[] = []): string {
  const query = new URLSearchParams({ project: "shop", range: "30d", ...params });
  for (const filter of filters) query.append("f", filter);
  return `${url}${path}?${query}`;
}

test("the history's stories show on the dashboard's pages", async () => {
  const { page } = await openPage(browser);
  await page.goto(`${url}/`);
  await page.fill("input[name=user]", "admin");
  await page.fill("input[name=password]", "sightline-demo");
  await page.click("button[type=submit]");
  await page.waitForSelector("nav[aria-label=Pages]");

  // 3.2.0 made the checkout's INP worse on Chrome for Android.
  await page.goto(dashboardUrl("/releases", { a: "3.1.1", b: "3.2.0" }, ["route=checkout", "browser=Chrome Mobile"]));
  await settled(page);
  const inp = await releaseRow(page, "Interaction to Next Paint");
  expect(inp[2], inp.join(" | ")).toMatch(/worse$/);
  await screenshot(page, "demo-releases-inp");

  // 3.1.0's errors, fixed by 3.1.1.
  await page.goto(dashboardUrl("/releases", { a: "3.1.0", b: "3.1.1" }));
  await settled(page);
  const errors = await releaseRow(page, "Error rate (views)");
  expect(errors[2], errors.join(" | ")).toMatch(/better$/);

  // The TypeError group leads the errors of 3.1.0.
  await page.goto(dashboardUrl("/errors", { release: "3.1.0" }));
  await settled(page);
  const first = page.locator("main table.data tbody tr").first();
  await first.waitFor();
  expect(await first.textContent()).toMatch(/TypeError/);
});
