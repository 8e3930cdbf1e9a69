// Every page of the dashboard against the real server filled by the load generator: it loads
// with data and without console errors, filters change the figures and the URL, back and
// forward work, a row click drills down, a session's timeline opens. Screenshots of every page
// go to target/web-screenshots/.

import { writeFileSync } from "node:fs";
import { join } from "node:path";

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { fromEvents, fromRollups } from "../src/networksql";
import { sqlWhere } from "../src/sqlfilter";
import { PROJECT, SCREENSHOTS, type Stack, launch, login, openPage, screenshot, settled, startStack } from "./harness";

let stack: Stack;
let browser: Browser;
let page: Page;
let problems: string[];

beforeAll(async () => {
  stack = await startStack();
  // Three hours of a small shop, in a few seconds: sessions start over the window and keep
  // their generated times (--no-sent-at), so every release of the population shows up.
  const summary = await stack.loadgen(["--rate", "2000", "--duration", "6s", "--window", "3h", "--no-sent-at", "--seed", "7", "--concurrency", "8"]);
  expect(summary).toMatch(/accepted\s+\d+ \(202\)/);
  browser = await launch();
  ({ page, problems } = await openPage(browser));
  await login(page, stack, problems);
});

afterAll(async () => {
  if (timings.length) {
    const table = [
      "first data  all data  page",
      ...timings.map(([path, first, all]) => `${String(first).padStart(7)} ms ${String(all).padStart(6)} ms  ${path}`),
    ].join("\n");
    console.log(`navigation to data (${stack.mode} mode, debug server, loadgen data):\n${table}`);
    writeFileSync(join(SCREENSHOTS, "timings.txt"), table + "\n");
  }
  await browser?.close();
  await stack?.stop();
});

/** Elements that carry data (not a loading or empty state): a table row, a tile's figure, a chart, a snippet. */
const DATA = "main table.data tbody tr, main .tile .tile-value, main .chart canvas, main svg.map circle, main pre.stack, main [data-testid=snippet]";

/**
 * Per path, milliseconds from the start of the navigation to the first data-bearing element
 * and to the last "Loading…" gone (printed at the end, and written to timings.txt).
 */
const timings: Array<[string, number, number]> = [];

async function visit(path: string): Promise<void> {
  const start = performance.now();
  await page.goto(`${stack.url}${path}`);
  await page.waitForSelector(DATA, { timeout: 60_000 });
  const first = performance.now();
  await page.waitForSelector("main h1");
  await settled(page);
  timings.push([path, Math.round(first - start), Math.round(performance.now() - start)]);
}

function noProblems(where: string) {
  expect(problems, `console errors on ${where}`).toEqual([]);
}

const rows = (selector = "main table.data tbody tr") => page.locator(selector);

/** Per group (`key` of a row), its `value`s and weights `w`, sorted by value. */
function weightedValues(rows: Array<Record<string, unknown>>, key: (row: Record<string, unknown>) => string): Map<string, Array<[number, number]>> {
  const groups = new Map<string, Array<[number, number]>>();
  for (const row of rows) {
    const group = groups.get(key(row)) ?? [];
    group.push([Number(row.value), Number(row.w)]);
    groups.set(key(row), group);
  }
  for (const group of groups.values()) group.sort((a, b) => a[0] - b[0]);
  return groups;
}

/** The least value whose cumulative weight reaches `rank` of the group's total weight. */
function rankedValue(group: Array<[number, number]>, rank: number): number {
  const total = group.reduce((sum, [, w]) => sum + w, 0);
  let seen = 0;
  for (const [value, w] of group) {
    seen += w;
    if (seen >= rank * total * (1 - 1e-12)) return value;
  }
  return group[group.length - 1][0];
}

describe("the dashboard", () => {
  it("refuses a wrong password with the server's message", async () => {
    const { page: other, problems: otherProblems } = await openPage(browser);
    await other.goto(`${stack.url}/`);
    await other.fill("input[name=user]", stack.user);
    await other.fill("input[name=password]", stack.password + "-wrong");
    await other.click("button[type=submit]");
    await other.waitForSelector(".login [role=alert]");
    expect(await other.locator(".login [role=alert]").textContent()).not.toBe("");
    expect(await other.locator("nav[aria-label=Pages]").count()).toBe(0);
    await screenshot(other, "login");
    // The session check before login and the refused login answer 401, as they should.
    expect(otherProblems.filter((p) => !/status of 401|^http 401 (GET|POST) \S+\/api\/v1\/session$/.test(p))).toEqual([]);
    await other.close();
  });

  it("shows the overview with vitals, ratings, trends and charts", async () => {
    await visit("/overview");
    const lcp = page.locator(".tile.vital[data-metric=lcp]");
    expect(await lcp.locator(".tile-value").textContent()).toMatch(/^\d+(\.\d+)? (ms|s)$/);
    expect(await lcp.locator(".rating").textContent()).toMatch(/Good|Needs improvement|Poor/);
    expect(await lcp.locator(".rating-legend").textContent()).toMatch(/Good \d/);
    expect(await page.locator(".tile[data-metric=page_views] .tile-value").textContent()).toMatch(/^\d/);
    expect(await page.locator(".tile[data-metric=sessions] .tile-value").textContent()).toMatch(/^\d/);
    expect(await page.locator(".tile[data-metric=error_rate] .tile-value").textContent()).toMatch(/%$/);
    expect(await page.locator(".tile[data-metric=failed_request_rate] .tile-value").textContent()).toMatch(/%$/);
    expect(await page.locator(".tile[data-metric=rage_clicks] .tile-value").textContent()).toMatch(/^\d/);
    expect(await page.locator(".chart canvas").count()).toBe(2);
    // Release markers: the population switches releases within the window.
    expect(await page.locator(".u-legend").nth(1).textContent()).toMatch(/2\.4\.1/);
    await screenshot(page, "overview");
    noProblems("the overview");
  });

  it("changes figures and URL with filters; back and forward restore them", async () => {
    await visit("/overview");
    const views = page.locator(".tile[data-metric=page_views] .tile-value");
    const all = await views.textContent();
    await page.selectOption("select[name=dim]", "country");
    await page.fill("input[name=value]", "US");
    await page.click(".add-filter button[type=submit]");
    await page.waitForURL(/f=country%3DUS/);
    await settled(page);
    const us = await views.textContent();
    expect(us).not.toBe(all);
    expect(Number(us!.replace(/\D/g, ""))).toBeLessThan(Number(all!.replace(/\D/g, "")));
    expect(await page.locator(".chips").textContent()).toContain("Country is US");

    await page.selectOption("select[name=range]", "1h");
    await page.waitForURL(/range=1h/);
    await settled(page);
    expect(page.url()).toContain("f=country%3DUS");

    await page.goBack();
    await page.waitForURL((u) => !u.search.includes("range=1h"));
    await settled(page);
    expect(await views.textContent()).toBe(us);
    await page.goBack();
    await page.waitForURL((u) => !u.search.includes("country"));
    await settled(page);
    expect(await views.textContent()).toBe(all);
    await page.goForward();
    await page.waitForURL(/f=country%3DUS/);
    await settled(page);
    expect(await views.textContent()).toBe(us);

    // The link is the view: a fresh page on the same URL shows the same figure.
    const { page: fresh, problems: freshProblems } = await openPage(browser);
    await login(fresh, stack, freshProblems);
    await fresh.goto(page.url());
    await settled(fresh);
    expect(await fresh.locator(".tile[data-metric=page_views] .tile-value").textContent()).toBe(us);
    expect(freshProblems).toEqual([]);
    await fresh.close();

    // The chip's remove button takes the filter away again.
    await page.click(".chip button");
    await page.waitForURL((u) => !u.search.includes("country"));
    noProblems("filtering");
  });

  it("drills down from a breakdown row in the performance explorer", async () => {
    await visit("/performance?by=country");
    expect(await page.locator(".chart canvas").count()).toBe(2);
    const table = rows();
    expect(await table.count()).toBeGreaterThan(3);
    expect(await page.locator("main table.data thead").textContent()).toContain("Samples");
    await screenshot(page, "performance");
    // Sorting by a column reorders the rows.
    await page.click("main table.data th button:has-text('LCP p75')");
    const values = await page.locator("main table.data tbody tr td:nth-child(2)").allTextContents();
    // Rows without a value ("–") go last; the others descend.
    const ms = values.map((v) => (v.endsWith(" s") ? parseFloat(v) * 1000 : parseFloat(v)));
    const known = ms.filter((v) => !Number.isNaN(v));
    expect(ms.slice(0, known.length)).toEqual(known);
    expect(known.length).toBeGreaterThan(3);
    expect([...known].sort((a, b) => b - a)).toEqual(known);
    // Keyboard: focus the first row and press Enter.
    const cell = (await table.first().locator("td").first().textContent())!;
    // Countries are shown by name with their code: "United States (US)".
    const country = /\(([A-Z]{2})\)$/.exec(cell)?.[1] ?? cell;
    await table.first().focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`f=country%3D${country}`));
    await settled(page);
    expect(await rows().count()).toBe(1);
    expect(await rows().first().locator("td").first().textContent()).toBe(cell);
    expect(await page.locator(".chips").textContent()).toContain(`Country is ${country}`);
    await screenshot(page, "performance-drilldown");
    noProblems("the performance explorer");
  });

  it("breaks down and filters by an attribute", async () => {
    await visit("/performance");
    await page.selectOption("select[name=attr-kind]", "attribute");
    await page.fill("input[name=attr]", "experiment");
    await page.press("input[name=attr]", "Enter");
    await page.waitForURL(/by=attribute%3Aexperiment/);
    await settled(page);
    const groups = await page.locator("main table.data tbody tr td:first-child").allTextContents();
    expect(groups.length).toBeGreaterThan(1);
    expect(groups.join(" ")).toMatch(/checkout_/);

    await page.selectOption("select[name=dim]", "attribute:");
    await page.fill("input[name=key]", "logged_in");
    await page.fill("input[name=value]", "true");
    await page.click(".add-filter button[type=submit]");
    await page.waitForURL(/f=attribute%3Alogged_in%3Dtrue/);
    await settled(page);
    expect(await page.locator(".chips").textContent()).toContain("Attribute logged_in is true");
    expect(await page.locator("main table.data tbody tr").count()).toBeGreaterThan(0);
    noProblems("attribute breakdowns");
  });

  it("lists error groups and opens one", async () => {
    await visit("/errors");
    expect(await rows().count()).toBeGreaterThan(0);
    await page.waitForSelector("main svg.spark");
    await screenshot(page, "errors");
    await rows().first().click();
    await page.waitForURL(/\/errors\/[0-9a-f]{16}/);
    await settled(page);
    expect(await page.locator("pre.stack").textContent()).toMatch(/\w/);
    expect(await page.locator(".chart canvas").count()).toBe(1);
    expect(await rows().count()).toBeGreaterThan(0);
    await screenshot(page, "error-group");
    noProblems("errors");
  });

  it("lists sessions and opens one's timeline and waterfall", async () => {
    await visit("/sessions?sort=views");
    expect(await rows().count()).toBeGreaterThan(5);
    await screenshot(page, "sessions");
    // Search by user id: every row is that user's.
    const users = (await page.locator("main table.data tbody tr td:nth-child(5)").allTextContents()).filter((u) => u !== "–");
    expect(users.length).toBeGreaterThan(0);
    await page.fill("input[name=user]", users[0]);
    await page.click("form.inline button:has-text('Find')");
    await page.waitForURL(new RegExp(`user=${users[0]}`));
    await settled(page);
    const found = await page.locator("main table.data tbody tr td:nth-child(5)").allTextContents();
    expect(found.length).toBeGreaterThan(0);
    expect(new Set(found)).toEqual(new Set([users[0]]));
    await page.goBack();
    await page.waitForURL((u) => !u.search.includes("user="));
    await settled(page);
    await rows().first().click();
    await page.waitForURL(/\/sessions\/[^/?]+/);
    await settled(page);
    const kinds = await page.locator("main .kind").allTextContents();
    expect(kinds).toContain("view");
    expect(kinds).toContain("vital");
    expect(await page.locator(".wf-bar").count()).toBeGreaterThan(0);
    await screenshot(page, "session-timeline");
    noProblems("sessions");
  });

  it("answers the Network page's questions from the rollups as from the events", async () => {
    const hour = 3_600_000;
    // Two days on whole hours: a whole UTC day from the daily rows, the hours around it.
    const to = Math.ceil(Date.now() / hour) * hour;
    const range = { from: to - 48 * hour, to };
    const { where } = sqlWhere({ page: "network", range: "custom", filters: [], params: {} }, range);
    const rollups = fromRollups(where, -1, range);
    const events = fromEvents(where);
    const run = (statement: string) =>
      page.evaluate(
        async ([project, sql]) => {
          const response = await fetch(`/api/v1/sql?project=${project}`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-sightline-csrf": "1" },
            body: JSON.stringify({ sql, max_rows: 10_000 }),
          });
          if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
          const answer = (await response.json()) as { columns: Array<{ name: string }>; rows: unknown[][] };
          return answer.rows.map((row) => Object.fromEntries(answer.columns.map((c, i) => [c.name, row[i]])));
        },
        [PROJECT, statement] as const,
      );
    const near = (a: unknown, b: unknown, tolerance: number) =>
      Math.abs(Number(a) - Number(b)) <= tolerance * Math.max(1, Math.abs(Number(b)));
    // The truth for the quantiles: every value with its weight (1 / sample rate), per group.
    const weight = "(CASE WHEN sample_rate > 0 THEN 1.0 / sample_rate ELSE 1.0 END)";
    const sampled = `${where} AND sampling_reason = 'sampled' AND duration IS NOT NULL`;
    const firstScript = (field: string) => `NULLIF(sightline_json_first(scripts, '${field}'), '')`;
    const values = {
      endpoints: `SELECT method, sightline_endpoint(url) AS url, duration AS value, ${weight} AS w FROM request WHERE ${sampled}`,
      hosts: `SELECT sightline_url_host(url) AS host, duration AS value, ${weight} AS w FROM resource WHERE ${sampled}`,
      frames: `SELECT ${firstScript("source_url")} AS url, ${firstScript("source_function_name")} AS fn, duration AS value, ${weight} AS w
        FROM long_animation_frame WHERE scripts LIKE '[{%' AND ${sampled}`,
    };
    for (const [name, keys, exact] of [
      ["endpoints", ["method", "url"], ["requests", "failed"]],
      ["hosts", ["host"], ["resources", "total_time", "bytes", "third_party"]],
      ["frames", ["url", "fn"], ["longest", "blocking", "third_party", "all_frames"]],
    ] as const) {
      const [fromRollupRows, fromEventRows, valueRows] = await Promise.all([run(rollups[name]), run(events[name]), run(values[name])]);
      const key = (row: Record<string, unknown>) => keys.map((k) => String(row[k])).join(" ");
      expect(fromRollupRows.map(key).sort(), name).toEqual(fromEventRows.map(key).sort());
      expect(fromRollupRows.length, name).toBeGreaterThan(2);
      expect(valueRows.length, `${name}: every value read`).toBeLessThan(10_000);
      const byKey = new Map(fromEventRows.map((row) => [key(row), row]));
      const groups = weightedValues(valueRows, key);
      for (const row of fromRollupRows) {
        const what = (column: string, other: unknown) => `${name} ${key(row)} ${column}: ${row[column]} vs ${other}`;
        const truth = byKey.get(key(row))!;
        for (const column of exact) {
          const same = typeof truth[column] === "boolean" ? row[column] === truth[column] : near(row[column], truth[column], 1e-9);
          expect(same, what(column, truth[column])).toBe(true);
        }
        // Quantiles against the exact ones: the rollups' sketch within 1 % of a value ranked
        // within 2 % of p75. DataFusion's t-digest (over the events) interpolates between
        // centroids, so for groups of some size only within 15 % of the rank.
        const group = groups.get(key(row));
        if (!group) {
          expect(row.p75, what("p75 of no value", null)).toBeNull();
          continue;
        }
        const [low, high] = [rankedValue(group, 0.73), rankedValue(group, 0.77)];
        const p75 = Number(row.p75);
        expect(p75 >= low * 0.99 && p75 <= high * 1.01, what("p75", `[${low}, ${high}]`)).toBe(true);
        if (group.length >= 30) {
          const [wideLow, wideHigh] = [rankedValue(group, 0.6), rankedValue(group, 0.9)];
          const eventsP75 = Number(truth.p75);
          expect(eventsP75 >= wideLow && eventsP75 <= wideHigh, what("p75 over the events", `[${wideLow}, ${wideHigh}]`)).toBe(true);
        }
        if (name === "endpoints") {
          const max = rankedValue(group, 1);
          expect(near(row.max, max, 0.01), what("max", max)).toBe(true);
          expect(Number(truth.max), what("max over the events", max)).toBe(max);
        }
      }
    }
  });

  it("shows routes, releases, network, geography, ingest health and setup with data", async () => {
    await visit("/pages");
    expect(await rows().count()).toBeGreaterThan(3);
    expect(await page.locator("main").textContent()).toMatch(/\/products\/:id/);
    await screenshot(page, "pages");

    await visit("/releases");
    expect(await page.locator("select[name=a]").inputValue()).not.toBe("");
    expect(await rows().count()).toBeGreaterThan(5);
    await screenshot(page, "releases");

    await visit("/network");
    expect(await rows().count()).toBeGreaterThan(3);
    expect(await page.locator("main").textContent()).toContain("/api/");
    await screenshot(page, "network");

    await visit("/geography");
    expect(await page.locator("main").textContent()).toContain("United States (US)");
    expect(await page.locator("main svg.map circle").count()).toBeGreaterThan(3);
    expect(await rows().count()).toBeGreaterThan(3);
    await screenshot(page, "geography");

    // Not /ingest: that path is the intake's.
    await visit("/ingest-health");
    if (stack.hasOutcomes) {
      expect(await page.locator(".tile[data-metric=accepted] .tile-value").textContent()).toMatch(/^[1-9]/);
    } else {
      // Not served yet: the page says so with the server's message instead of failing silently.
      expect(await page.locator(".state.error").count()).toBe(1);
      problems.splice(0, problems.length, ...problems.filter((p) => !/status of 404|^http 404 GET \S+\/api\/v1\/outcomes/.test(p)));
    }
    await screenshot(page, "ingest");

    await visit("/setup");
    expect(await page.locator("[data-testid=snippet]").textContent()).toContain(`${stack.url}/agent.js`);
    await screenshot(page, "setup");
    noProblems("the other pages");
  });

  it("logs out: the cookie is gone and a reload asks to log in again", async () => {
    await visit("/overview");
    await page.click("button:has-text('Log out')");
    await page.waitForSelector("input[name=password]");
    await page.reload();
    await page.waitForSelector("input[name=password]");
    expect(await page.locator("nav[aria-label=Pages]").count()).toBe(0);
    const cookies = await page.context().cookies();
    expect(cookies.filter((c) => c.value !== "")).toEqual([]);
    // The reload's session check answers 401, as it should once logged out.
    problems.splice(0, problems.length, ...problems.filter((p) => !/status of 401|^http 401 GET \S+\/api\/v1\/session$/.test(p)));
    noProblems("logging out");
  });
});
