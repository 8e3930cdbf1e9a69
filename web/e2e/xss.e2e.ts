// Hostile strings in every field a beacon carries (error messages and types, stacks, URLs,
// routes, releases, environments, user ids and attributes, event names, action targets,
// attribution selectors) are shown as text on every page that shows them: no script runs
// (no dialog, no `window.__xss`), no element or handler is injected, `javascript:` URLs
// never become links, and the payload is visible literally.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type Stack, launch, login, openPage, screenshot, settled, startStack } from "./harness";
import { IMG, JS_URL, SVG, hostileBeacons } from "./hostile";

let stack: Stack;
let browser: Browser;
let page: Page;
let problems: string[];
let dialogs: string[];

beforeAll(async () => {
  stack = await startStack();
  for (const beacon of hostileBeacons(Date.now())) expect(await stack.post(beacon)).toBe(202);
  browser = await launch();
  ({ page, problems, dialogs } = await openPage(browser));
  await login(page, stack, problems);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Visits a page, then checks that nothing ran and nothing was injected. */
async function visitSafely(path: string, shows: string[] = []): Promise<string> {
  await page.goto(`${stack.url}${path}`);
  await page.waitForSelector("main h1");
  await settled(page);
  // Hover the charts: their legends and cursor values are written then.
  for (const over of await page.locator(".chart .u-over").all()) await over.hover({ timeout: 5000 });
  const report = await page.evaluate(() => ({
    xss: (window as unknown as { __xss?: unknown }).__xss,
    injected: document.querySelectorAll("main img, main svg:not(.spark):not(.map), [onerror], [onload], [onclick], iframe, script:not([src])").length,
    scriptLinks: [...document.querySelectorAll("a[href]")]
      .map((a) => a.getAttribute("href")!)
      .filter((href) => !/^(https?:|\/|#)/i.test(href.trim())),
    text: document.body.innerText,
  }));
  expect(dialogs, `dialogs on ${path}`).toEqual([]);
  expect(report.xss, `window.__xss on ${path}`).toBeUndefined();
  expect(report.injected, `injected elements on ${path}`).toBe(0);
  expect(report.scriptLinks, `non-http links on ${path}`).toEqual([]);
  for (const text of shows) expect(report.text, `${path} shows ${text} literally`).toContain(text);
  expect(problems, `console errors on ${path}`).toEqual([]);
  return report.text;
}

const enc = encodeURIComponent;

describe("hostile strings in the dashboard", () => {
  it("overview, with the payloads as release and environment filters", async () => {
    await visitSafely("/overview");
    await visitSafely(`/overview?release=${enc(IMG)}&env=${enc(SVG)}`, [IMG]);
    await screenshot(page, "xss-overview");
  });

  it("performance breakdowns by release, environment and route, and a filter chip", async () => {
    await visitSafely("/performance?by=release", [IMG, SVG, JS_URL]);
    await visitSafely("/performance?by=environment", [SVG]);
    await visitSafely(`/performance?by=route&f=${enc(`route^=${SVG}`)}`, [SVG]);
    await screenshot(page, "xss-performance");
    await visitSafely("/geography");
  });

  it("error groups, and each group's detail with its stack", async () => {
    const text = await visitSafely("/errors", [IMG, SVG, JS_URL]);
    expect(text).toContain(`${IMG} failed`);
    await screenshot(page, "xss-errors");
    const links = await page.locator("main table.data a.error-title").evaluateAll((as) => as.map((a) => a.getAttribute("href")!));
    expect(links.length).toBe(6);
    for (const href of links) await visitSafely(href.replace(/^https?:\/\/[^/]+/, ""), ["at "]);
    await screenshot(page, "xss-error-group");
  });

  it("sessions and every session's timeline", async () => {
    await visitSafely("/sessions", [IMG, SVG]);
    const links = await page.locator("main table.data tbody tr td:first-child a").evaluateAll((as) => as.map((a) => a.getAttribute("href")!));
    expect(links.length).toBe(6);
    for (const href of links) {
      const text = await visitSafely(href);
      expect(text).toMatch(/<img src=x onerror=|<svg onload=|javascript:/);
    }
    await screenshot(page, "xss-session");
    // A user id search with quotes in it (SQL literal) finds that user's two sessions.
    await visitSafely(`/sessions?user=${enc(IMG)}`, [`Sessions of user ${IMG}`]);
    expect(await page.locator("main table.data tbody tr").count()).toBe(2);
    // With rage clicks: what was rage-clicked (target and selector), then the sessions.
    await visitSafely(`/sessions?rage=1`, [IMG, SVG, JS_URL]);
    expect(await page.locator("[data-testid=rage-targets] table.data tbody tr").count()).toBe(6);
    expect(await page.locator("main table.data").last().locator("tbody tr").count()).toBe(6);
  });

  it("routes, releases and network", async () => {
    await visitSafely("/pages", [IMG, SVG]);
    await screenshot(page, "xss-pages");
    await visitSafely(`/releases?a=${enc(IMG)}&b=${enc(SVG)}`, [IMG, SVG]);
    await screenshot(page, "xss-releases");
    // Endpoints, hosts, and the scripts of long animation frames: their functions, which the
    // SQL reads out of the frames' JSON with its escapes, are shown with their quotes as sent.
    await visitSafely("/network", ["javascript:", IMG]);
    const frames = await page.locator("main section.card", { hasText: "Scripts behind long animation frames" }).innerText();
    for (const p of [IMG, SVG, JS_URL]) expect(frames).toContain(`\t${p}\t`);
    await screenshot(page, "xss-network");
  });
});
