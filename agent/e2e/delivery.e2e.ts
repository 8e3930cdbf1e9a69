// Delivery: the errors the loader snippet kept before the agent loaded arrive; a batch still
// queued when the tab closes arrives; the server's 429 with Retry-After is obeyed; consent
// `pending` sends nothing until it is granted.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { cleanup, launchBrowser, pageHtml, sleep, startSightline, startSite, waitFor } from "./harness";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(cleanup);

type Sightline = { version?: string; addEvent(name: string, value?: number): void; flush(): void; setConsent(state: string): void };
const agentReady = (page: Page) => page.waitForFunction(() => (window as unknown as { sightline: Sightline }).sightline.version);

/** Every request to the intake the page made, with when it started and how it was answered. */
function recordBeacons(page: Page) {
  const beacons: Array<{ at: number; status?: number; retryAfter?: number; answeredAt?: number }> = [];
  page.on("request", (request) => {
    if (request.url().includes("/ingest/v1/")) beacons.push({ at: Date.now() });
  });
  page.on("response", (response) => {
    if (!response.url().includes("/ingest/v1/")) return;
    const beacon = beacons.findLast((b) => b.status === undefined);
    if (!beacon) return;
    beacon.status = response.status();
    beacon.answeredAt = Date.now();
    const header = response.headers()["retry-after"];
    if (header) beacon.retryAfter = Number(header);
  });
  return beacons;
}

describe("delivery", () => {
  it("reports the errors the snippet kept from before the agent loaded, once", async () => {
    const sightline = await startSightline();
    // Right after the snippet, long before /agent.js can have arrived: an uncaught error, an
    // unhandled rejection and an image that fails to load.
    const early = `<script>(function early() { null.boom(); })();</script>
<script>Promise.reject(new Error("early rejection"));</script>`;
    const site = await startSite({
      "/page": pageHtml(sightline.url, {}, '<img src="/missing.png" alt="">', early),
      "/missing.png": { status: 404, body: "" },
    });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${site.origin}/page`);
    await agentReady(page);
    expect(await page.evaluate(() => (window as unknown as { sightline: { e?: unknown } }).sightline.e)).toBeUndefined();
    await page.close({ runBeforeUnload: true });
    await sightline.waitForEvents({ error: 3 });
    await sightline.stop();
    const rows = await sightline.sql("SELECT error_type, message, source, stack FROM error ORDER BY source");
    expect(rows.map((r) => [r.source, r.error_type])).toEqual([
      ["promise", "Error"],
      ["resource", "ResourceError"],
      ["unhandled", "TypeError"],
    ]);
    expect(rows[0]!.message).toBe("early rejection");
    expect(String(rows[2]!.stack)).toMatch(/early/);
  });

  it("delivers the queued batch when the tab is closed", async () => {
    const sightline = await startSightline();
    const site = await startSite({ "/page": pageHtml(sightline.url, {}, "<p>closing soon</p>") });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${site.origin}/page`);
    await agentReady(page);
    await page.evaluate(() => (window as unknown as { sightline: Sightline }).sightline.addEvent("before_close", 7));
    // The batch timer (5 s) has not fired: nothing is stored yet.
    expect((await sightline.accepted()).custom ?? 0).toBe(0);
    await page.close({ runBeforeUnload: true });
    await sightline.waitForEvents({ custom: 1, view: 1 });
    await sightline.stop();
    const rows = await sightline.sql("SELECT name, value FROM custom WHERE name <> 'view_summary'");
    expect(rows).toEqual([{ name: "before_close", value: 7 }]);
  });

  it("obeys 429 Retry-After from the server and still delivers every event once", async () => {
    // The project's own limit: one beacon, then one every 2 s → 429 with Retry-After: 2.
    const sightline = await startSightline({ project: ["rate_limit_per_second = 0.5", "rate_limit_burst = 1"] });
    const site = await startSite({ "/page": pageHtml(sightline.url, {}, "<p>busy</p>") });
    const page = await (await browser.newContext()).newPage();
    const beacons = recordBeacons(page);
    await page.goto(`${site.origin}/page`);
    await agentReady(page);
    const send = (name: string) =>
      page.evaluate((event) => {
        const agent = (window as unknown as { sightline: Sightline }).sightline;
        agent.addEvent(event);
        agent.flush();
      }, name);
    await send("first");
    await waitFor("the first answer", () => beacons[0]?.status);
    await send("second");
    await waitFor("a 429", () => beacons.find((b) => b.status === 429));
    await send("third"); // while paused: held back
    await sightline.waitForEvents({ custom: 3 }, 30_000);
    await sleep(200);

    const throttled = beacons.filter((b) => b.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    for (const answer of throttled) {
      expect(answer.retryAfter).toBeGreaterThanOrEqual(1);
      // Nothing was sent between the 429 and the end of its Retry-After (100 ms of slack for
      // the test's own clock, which notices the answer a little after the page does).
      const early = beacons.filter((b) => b.at > answer.answeredAt! + 100 && b.at < answer.answeredAt! + answer.retryAfter! * 1000 - 100);
      expect(early, `requests within Retry-After of the 429 at ${answer.answeredAt}`).toEqual([]);
    }
    expect(beacons.filter((b) => b.status === 202).length).toBeGreaterThanOrEqual(3);
    await page.close();
    await sightline.stop();
    const rows = await sightline.sql("SELECT name, count(*) AS n FROM custom WHERE name <> 'view_summary' GROUP BY name ORDER BY name");
    expect(rows).toEqual([
      { name: "first", n: 1 },
      { name: "second", n: 1 },
      { name: "third", n: 1 },
    ]);
  });

  it("sends nothing while consent is pending, even when the tab closes, and everything once granted", async () => {
    const sightline = await startSightline();
    const site = await startSite({ "/page": pageHtml(sightline.url, { consent: "pending" }, "<button>Buy</button>") });

    // Pending, then the tab closes: nothing leaves the page.
    const context = await browser.newContext();
    const closing = await context.newPage();
    const closingBeacons = recordBeacons(closing);
    await closing.goto(`${site.origin}/page`);
    await agentReady(closing);
    await closing.click("button");
    await closing.evaluate(() => {
      const agent = (window as unknown as { sightline: Sightline }).sightline;
      agent.addEvent("never_sent");
      agent.flush();
    });
    await sleep(500);
    await closing.close({ runBeforeUnload: true });

    // Pending for longer than a batch waits, then granted: what was held is sent.
    const page = await context.newPage();
    const beacons = recordBeacons(page);
    await page.goto(`${site.origin}/page`);
    await agentReady(page);
    await page.evaluate(() => {
      const agent = (window as unknown as { sightline: Sightline }).sightline;
      agent.addEvent("held_until_granted");
      agent.flush();
    });
    await sleep(6_000);
    expect(beacons, "no beacon while pending").toEqual([]);
    expect(closingBeacons, "no beacon from the closed tab").toEqual([]);
    expect(Object.values(await sightline.accepted()).reduce((a, b) => a + b, 0), "nothing stored").toBe(0);

    await page.evaluate(() => (window as unknown as { sightline: Sightline }).sightline.setConsent("granted"));
    await sightline.waitForEvents({ custom: 1 });
    await page.close({ runBeforeUnload: true });
    await sleep(500);
    await sightline.stop();
    // The tab closed while pending sent nothing, not even its view summary.
    const rows = await sightline.sql("SELECT name, consent, page_url FROM custom WHERE name <> 'view_summary'");
    expect(rows).toEqual([{ name: "held_until_granted", consent: "granted", page_url: `${site.origin}/page` }]);
    const views = await sightline.sql("SELECT count(DISTINCT session_id) AS sessions FROM view");
    expect(views).toEqual([{ sessions: 1 }]);
  });
});
