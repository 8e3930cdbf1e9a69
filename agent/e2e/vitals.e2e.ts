// Vitals and errors of a page load, as stored by the real server: they arrive with their
// attribution, and their values are what an independent PerformanceObserver in the same page
// measured.

import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { type Observed, PROJECT, cleanup, clsOf, launchBrowser, noisePng, pageHtml, sleep, startSightline, startSite } from "./harness";

const APP = `
function spin(ms) { var end = performance.now() + ms; while (performance.now() < end) {} }
// A banner pushed in above the content after the first paint: a layout shift without input.
setTimeout(function () {
  var banner = document.createElement("div");
  banner.id = "banner";
  banner.style.height = "120px";
  banner.textContent = "Free shipping today";
  document.body.insertBefore(banner, document.body.firstChild);
}, 400);
document.getElementById("slow").addEventListener("click", function slowHandler() { spin(150); });
performance.mark("hero_requested");
performance.measure("app_boot", { start: 0, duration: 12.5 });
document.getElementById("boom").addEventListener("click", function () {
  setTimeout(function explode() { throw new TypeError("e2e boom: cart is undefined"); }, 0);
  Promise.reject(new RangeError("e2e rejected: quantity out of range"));
  var broken = document.createElement("img");
  broken.src = "/missing.png";
  document.body.appendChild(broken);
});
`;

const BODY = `
<main>
  <p>Intro text above the hero.</p>
  <img id="hero" src="/hero.png" width="640" height="320" alt="">
  <p><button id="slow">Slow button</button> <button id="boom">Broken button</button></p>
  <p style="height:1500px">Long content.</p>
</main>
<script src="/app.js"></script>`;


let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(cleanup);

const num = (value: unknown) => Number(value);

describe("a page load", () => {
  it("sends LCP, FCP, TTFB, CLS and INP with attribution, matching an independent observer, and the error with its stack", async () => {
    const sightline = await startSightline();
    const site = await startSite({
      "/page": pageHtml(sightline.url, { release: "e2e-1", environment: "test" }, BODY),
      "/app.js": { headers: { "content-type": "text/javascript" }, body: APP },
      // The hero arrives late enough to be painted after the text: it is the LCP.
      "/hero.png": { headers: { "content-type": "image/png" }, body: noisePng(400, 200), delayMs: 300 },
    });
    const page = await (await browser.newContext()).newPage();
    // Query strings are removed before sending (no allowlist here): the email never leaves.
    await page.goto(`${site.origin}/page?email=jane%40example.com&utm_source=news`);
    await page.waitForFunction(() => (window as unknown as { __observed: Observed }).__observed.lcp?.url.endsWith("/hero.png"));
    await page.waitForSelector("#banner");
    await sleep(600); // the shift is not "recent input" of the clicks below
    // Two interactions: the slow one is the INP.
    await page.click("#slow");
    await page.click("#boom");
    await sleep(300);
    const observed = await page.evaluate(() => (window as unknown as { __observed: Observed }).__observed);
    // Leaving the page hides it: the agent reports its final values with sendBeacon.
    await page.goto("about:blank");
    await sightline.waitForEvents({ vital: 5, error: 3, view: 1, action: 2, custom: 2, long_animation_frame: 1 });
    await sightline.stop();

    const vitals = await sightline.sql(
      `SELECT name, value, rating, element, resource_url, time_to_first_byte, resource_load_delay, resource_load_duration,
              element_render_delay, first_byte_to_fcp, interaction_target, interaction_type, input_delay,
              processing_duration, presentation_delay, largest_shift_target, largest_shift_value, waiting_duration,
              request_duration, release, environment, project
       FROM vital ORDER BY name`,
    );
    const byName = Object.fromEntries(vitals.map((row) => [row.name as string, row]));
    expect(Object.keys(byName).sort()).toEqual(["cls", "fcp", "inp", "lcp", "ttfb"]);
    expect(vitals.every((row) => row.project === PROJECT && row.release === "e2e-1" && row.environment === "test")).toBe(true);

    // LCP: the hero image, the value the browser reported.
    const lcp = byName.lcp;
    expect(num(lcp.value)).toBeCloseTo(observed.lcp!.value, 0);
    expect(String(lcp.element)).toContain("hero");
    expect(lcp.resource_url).toBe(`${site.origin}/hero.png`);
    for (const part of ["time_to_first_byte", "resource_load_delay", "resource_load_duration", "element_render_delay"]) {
      expect(lcp[part], `LCP ${part}`).toEqual(expect.any(Number));
    }
    // The sub-parts add up to the LCP.
    const parts = num(lcp.time_to_first_byte) + num(lcp.resource_load_delay) + num(lcp.resource_load_duration) + num(lcp.element_render_delay);
    expect(parts).toBeCloseTo(num(lcp.value), -0.5);
    expect(num(lcp.resource_load_duration)).toBeGreaterThanOrEqual(250); // the hero's 300 ms delay

    // FCP and TTFB.
    expect(num(byName.fcp.value)).toBeCloseTo(observed.fcp!, 0);
    expect(byName.fcp.first_byte_to_fcp).toEqual(expect.any(Number));
    expect(num(byName.ttfb.value)).toBeCloseTo(observed.ttfb!, 0);
    expect(byName.ttfb.waiting_duration).toEqual(expect.any(Number));
    expect(byName.ttfb.request_duration).toEqual(expect.any(Number));

    // CLS: the banner's shift, with its source.
    const cls = byName.cls;
    expect(clsOf(observed.shifts)).toBeGreaterThan(0);
    expect(num(cls.value)).toBeCloseTo(clsOf(observed.shifts), 3);
    expect(cls.largest_shift_target).toEqual(expect.any(String));
    expect(num(cls.largest_shift_value)).toBeGreaterThan(0);

    // INP: the slow click (150 ms of processing), as the browser timed it.
    const inp = byName.inp;
    const worst = Math.max(...Object.values(observed.interactions).map((i) => i.duration));
    expect(worst).toBeGreaterThanOrEqual(150);
    expect(num(inp.value)).toBe(worst);
    expect(String(inp.interaction_target)).toContain("slow");
    expect(inp.interaction_type).toBe("pointer");
    expect(num(inp.processing_duration)).toBeGreaterThanOrEqual(145);
    expect(inp.input_delay).toEqual(expect.any(Number));
    expect(inp.presentation_delay).toEqual(expect.any(Number));
    expect(["needs_improvement", "good"]).toContain(inp.rating);

    // The uncaught error, with its stack through the page's script.
    const errors = await sightline.sql("SELECT error_type, message, stack, source, handled, source_url, line, column FROM error");
    expect(errors).toHaveLength(3);
    const error = errors.find((e) => e.error_type === "TypeError")!;
    expect(error.error_type).toBe("TypeError");
    expect(error.message).toContain("e2e boom: cart is undefined");
    expect(error.stack).toMatch(/explode/);
    expect(error.stack).toContain(`${site.origin}/app.js`);
    expect(error.handled).toBe(false);
    expect(error.source_url).toBe(`${site.origin}/app.js`);
    expect(num(error.line)).toBeGreaterThan(0);
    // The unhandled rejection and the image that failed to load (after the same click).
    expect(errors.find((e) => e.error_type === "RangeError")).toMatchObject({
      message: "e2e rejected: quantity out of range",
      handled: false,
    });
    const resource = errors.find((e) => e.source === "resource")!;
    expect(String(resource.message) + String(resource.source_url ?? "")).toContain("/missing.png");

    // The click that threw is an error click; the slow one is not.
    const actions = await sightline.sql("SELECT target, error, rage FROM action ORDER BY timestamp");
    expect(actions).toEqual([
      { target: "Slow button", error: false, rage: false },
      { target: "Broken button", error: true, rage: false },
    ]);

    // User Timing, as custom events; the slow click's long animation frame, with its script.
    const timings = await sightline.sql("SELECT name, value FROM custom WHERE name IN ('hero_requested', 'app_boot') ORDER BY name");
    expect(timings).toEqual([
      { name: "app_boot", value: 12.5 },
      { name: "hero_requested", value: expect.any(Number) },
    ]);
    const frames = await sightline.sql("SELECT duration, scripts FROM long_animation_frame ORDER BY duration DESC");
    expect(num(frames[0].duration)).toBeGreaterThanOrEqual(150);
    expect(String(frames[0].scripts)).toContain(`${site.origin}/app.js`);

    // The page-load view, with navigation timing.
    const views = await sightline.sql("SELECT navigation_type, ttfb, load, page_url FROM view");
    expect(views).toHaveLength(1);
    expect(views[0].navigation_type).toBe("navigate");
    expect(num(views[0].ttfb)).toBeCloseTo(observed.ttfb!, 0);
    expect(views[0].page_url).toBe(`${site.origin}/page`);
  });
});
