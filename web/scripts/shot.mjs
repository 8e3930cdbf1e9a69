// Development aid: log in to a dashboard and screenshot pages, printing console errors.
//   node web/scripts/shot.mjs http://127.0.0.1:5173 /overview /performance …
import { chromium } from "playwright-core";

const [base, ...paths] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
page.on("console", (m) => (m.type() === "error" || m.type() === "warning") && console.log(`console ${m.type()}: ${m.text()}`));
page.on("pageerror", (e) => console.log(`pageerror: ${e.message}`));
await page.goto(base + "/");
await page.fill("input[name=user]", process.env.DASH_USER ?? "admin");
await page.fill("input[name=password]", process.env.DASH_PASSWORD ?? "admin");
await page.click("button[type=submit]");
await page.waitForSelector("nav[aria-label=Pages]");
for (const path of paths) {
  await page.goto(base + path);
  await page.waitForTimeout(Number(process.env.WAIT ?? 2500));
  const name = `/tmp/shot-${path.replace(/[^a-z0-9]+/gi, "_")}.png`;
  await page.screenshot({ path: name, fullPage: true });
  console.log(name, await page.evaluate(() => location.pathname + location.search));
}
await browser.close();
