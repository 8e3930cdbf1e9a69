// The Setup page against the real server: the snippet and the npm usage carry the project's
// real ingest key; an admin changes the project's settings (refusals shown under the field
// the server names), the change holds at once for beacons and after a reload, and the
// configuration file's settings come back on request.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { KEY, type Stack, launch, login, openPage, screenshot, settled, startStack } from "./harness";

let stack: Stack;
let browser: Browser;
let page: Page;
let problems: string[];

beforeAll(async () => {
  stack = await startStack();
  browser = await launch();
  ({ page, problems } = await openPage(browser));
  await login(page, stack, problems);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A beacon-less POST from `origin`: 403 when the origin is refused, 400 (empty body) once it passes. */
async function intakeStatus(origin: string): Promise<number> {
  const answer = await fetch(`${stack.serverUrl}/ingest/v1/${KEY}`, {
    method: "POST",
    headers: { "content-type": "application/json", origin },
    body: "{}",
  });
  return answer.status;
}

/** Drops the expected console lines of refused settings (400) from the recorded problems. */
function expectOnlyRefusals(): void {
  const expected = (p: string) => /status of 400/.test(p) || /^http 400 PUT \S+\/api\/v1\/projects\/shop\/settings$/.test(p);
  expect(problems.filter((p) => !expected(p))).toEqual([]);
  problems.splice(0, problems.length);
}

describe("the setup page", () => {
  it("shows the snippet and the npm usage with the project's ingest key", async () => {
    await page.goto(`${stack.url}/setup`);
    await page.waitForSelector("[data-testid=snippet]");
    await settled(page);
    expect(await page.locator("[data-testid=ingest-key]").textContent()).toBe(KEY);
    const snippet = await page.locator("[data-testid=snippet]").textContent();
    expect(snippet).toContain(`projectKey: "${KEY}"`);
    expect(snippet).toContain(`"${stack.url}/agent.js"`);
    const npm = await page.locator("[data-testid=npm-usage]").textContent();
    expect(npm).toContain("npm install @sightline/agent");
    expect(npm).toContain(`projectKey: "${KEY}", endpoint: "${stack.url}"`);
    // The copy button puts the snippet on the clipboard.
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
    await page.click("[data-testid=copy-snippet]");
    await page.waitForSelector("[data-testid=copy-snippet]:has-text('Copied')");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippet);
    expect(problems).toEqual([]);
  });

  it("refuses invalid settings under their field, saves valid ones in force at once and after a reload", async () => {
    await page.goto(`${stack.url}/setup`);
    await page.waitForSelector("[data-testid=settings-form]");
    expect(await page.inputValue("textarea[name=allowed_origins]")).toBe("*");
    expect(await page.inputValue("input[name=retention_days]")).toBe("30");

    // The server's refusals, under the field it names.
    await page.fill("textarea[name=allowed_origins]", "shop.example");
    await page.click("button:has-text('Save settings')");
    await page.waitForSelector("[data-testid=error-allowed_origins]");
    expect(await page.locator("[data-testid=error-allowed_origins]").textContent()).toContain('"shop.example" is not an origin');
    expect(await page.getAttribute("textarea[name=allowed_origins]", "aria-invalid")).toBe("true");
    await page.fill("textarea[name=allowed_origins]", "https://shop.example\nhttps://*.shop.example");
    await page.fill("input[name=retention_days]", "0");
    await page.click("button:has-text('Save settings')");
    await page.waitForSelector("[data-testid=error-retention_days]");
    expect(await page.locator("[data-testid=error-allowed_origins]").count()).toBe(0);
    await screenshot(page, "setup-invalid");
    // The browser's own check: not a number.
    await page.fill("input[name=sample_rate]", "");
    await page.fill("input[name=retention_days]", "90");
    await page.click("button:has-text('Save settings')");
    await page.waitForSelector("[data-testid=error-sample_rate]");
    expect(await intakeStatus("https://evil.example")).not.toBe(403);

    await page.fill("input[name=sample_rate]", "0.5");
    await page.click("button:has-text('Save settings')");
    await page.waitForSelector("[data-testid=settings-saved]");
    expect(await page.locator("[data-testid=settings-changed]").textContent()).toMatch(/by admin .*Allowed origins, Retention \(days\), Session sample rate/);
    expect(await intakeStatus("https://evil.example")).toBe(403);
    expect(await intakeStatus("https://m.shop.example")).not.toBe(403);
    await screenshot(page, "setup-saved");

    await page.reload();
    await page.waitForSelector("[data-testid=settings-form]");
    expect(await page.inputValue("input[name=retention_days]")).toBe("90");
    expect(await page.inputValue("textarea[name=allowed_origins]")).toBe("https://shop.example\nhttps://*.shop.example");
    expect(await page.locator("main").textContent()).toContain("the configuration file says *");

    await page.click("button:has-text(\"Use the configuration file's settings\")");
    await page.waitForSelector("[data-testid=settings-saved]");
    expect(await page.inputValue("input[name=retention_days]")).toBe("30");
    expect(await page.locator("[data-testid=settings-changed]").count()).toBe(0);
    expect(await intakeStatus("https://evil.example")).not.toBe(403);
    expectOnlyRefusals();
  });
});
