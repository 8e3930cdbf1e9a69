// Pages of one session that share its storage keep their own views: a duplicated tab starts
// with a copy of the original's sessionStorage, and two tabs of a `cookie` session opened at
// once read the same cookie. Every page's events must be stored (the server drops an event
// whose view and id it already has, taking it for a retry).

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { cleanup, launchBrowser, pageHtml, sleep, startSightline, startSite } from "./harness";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(cleanup);

const BODY = `<h1 id="title">Catalogue</h1><p>Some text to paint.</p>
<button id="next" onclick="history.pushState({}, '', '/shop/next'); document.getElementById('title').textContent = 'Next'">Next</button>`;
const agentReady = (page: Page) => page.waitForFunction(() => (window as unknown as { sightline: { version?: string } }).sightline.version);

describe("pages of one session", () => {
  it("a duplicated tab (a copy of sessionStorage) gets views of its own, and both pages' views and vitals are stored", async () => {
    const sightline = await startSightline();
    const site = await startSite({ "/shop": pageHtml(sightline.url, {}, BODY) });
    const context = await browser.newContext();
    const original = await context.newPage();
    await original.goto(`${site.origin}/shop`);
    await agentReady(original);
    // The tab is duplicated now: the copy starts with sessionStorage as it is at this moment…
    const stored = await original.evaluate(() => sessionStorage.getItem("sl_s"));
    expect(stored).toBeTruthy();
    // …and the original goes on to a route change (with an agent that counted views in
    // sessionStorage, the copy's page load took this route's view id).
    await original.click("#next");
    await sleep(300);
    const copy = await context.newPage();
    await copy.addInitScript((s) => sessionStorage.setItem("sl_s", s), stored!);
    await copy.goto(`${site.origin}/shop`);
    await agentReady(copy);
    await sleep(300);
    const ids = await Promise.all([original, copy].map((p) => p.evaluate(() => (window as unknown as { sightline: { getViewId(): string } }).sightline.getViewId())));
    await copy.goto("about:blank");
    await original.goto("about:blank");
    // Two page loads (ttfb, fcp, cls each; lcp where the page had no input first) and the route change.
    await sightline.waitForEvents({ view: 3, vital: 6 });
    await sleep(300);
    await sightline.stop();

    expect(ids[0]).not.toBe(ids[1]);
    const views = await sightline.sql("SELECT session_id, view_id, navigation_type, page_url FROM view ORDER BY timestamp");
    expect(views).toHaveLength(3);
    expect(new Set(views.map((v) => v.view_id)).size).toBe(3);
    expect(new Set(views.map((v) => v.session_id)).size).toBe(1);
    expect(views.map((v) => v.page_url)).toEqual([`${site.origin}/shop`, `${site.origin}/shop/next`, `${site.origin}/shop`]);
    expect(views[2]!.view_id).toBe(ids[1]);
    const vitals = await sightline.sql("SELECT view_id, name FROM vital WHERE name IN ('ttfb', 'fcp', 'cls')");
    for (const view of [views[0]!, views[2]!]) {
      const names = vitals.filter((v) => v.view_id === view.view_id).map((v) => v.name as string);
      expect(names.sort(), `vitals of ${String(view.view_id)}`).toEqual(["cls", "fcp", "ttfb"]);
    }
  });
});
