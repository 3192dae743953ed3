// Smoke test of the browser harness against a tiny page served on 127.0.0.1: a click that fetches an
// API answer (desktop and phone), a page that misbehaves in every way `problems` must catch, a
// screenshot, and a browser that leaves neither processes nor its profile behind when closed.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "puppeteer-core";
import { chromiumPath, launchBrowser, openPage, saveScreenshot, SCREENSHOT_DIR, waitForText } from "./harness.ts";

const TEST_TIMEOUT_MS = 30_000;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// `<link rel="icon" href="data:,">`: otherwise Chromium asks for /favicon.ico, and its 404 is a problem.
const GOOD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>harness smoke</title></head>
<body>
<h1>Harness smoke</h1>
<button id="go" type="button">Ask the API</button>
<p id="out">nothing yet</p>
<script>
document.getElementById("go").addEventListener("click", async () => {
  const res = await fetch("/api/echo?msg=" + encodeURIComponent("hello " + window.innerWidth));
  const body = await res.json();
  document.getElementById("out").textContent = "echo: " + body.echo;
});
</script>
</body></html>`;

// One of each problem kind, then a marker so the test knows the page is done.
const BAD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>bad</title></head>
<body><p id="out">working</p>
<script>
console.error("x");
console.warn("careful");
setTimeout(() => { throw new Error("boom"); }, 0);
(async () => {
  await fetch("/missing").catch(() => undefined);
  await fetch("/drop").catch(() => undefined);
  document.getElementById("out").textContent = "done";
})();
</script>
</body></html>`;

function startServer(): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(GOOD_PAGE);
    } else if (req.method === "GET" && url.pathname === "/bad") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(BAD_PAGE);
    } else if (req.method === "GET" && url.pathname === "/drop") {
      req.socket.destroy(); // no response at all: the browser sees a failed request
    } else if (req.method === "GET" && url.pathname === "/api/echo") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ echo: url.searchParams.get("msg") ?? "" }));
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  return new Promise((resolveStart, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolveStart({ server, base: `http://127.0.0.1:${port}` });
    });
  });
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Pids of live processes whose command line mentions `needle` (here: the browser's profile dir). */
function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(needle)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe("browser harness", { timeout: 120_000 }, () => {
  let server: Server | undefined;
  let base = "";
  let browser: Browser | undefined;
  const pages: Page[] = [];

  before(async () => {
    ({ server, base } = await startServer());
    browser = await launchBrowser();
  });

  after(async () => {
    for (const page of pages) await page.close().catch(() => undefined);
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  test("chromiumPath names the install script when chromium is missing", () => {
    const saved = { PATH: process.env.PATH, CHROMIUM_PATH: process.env.CHROMIUM_PATH };
    try {
      process.env.PATH = "/nonexistent";
      delete process.env.CHROMIUM_PATH;
      assert.throws(() => chromiumPath(), /bash scripts\/install-system-deps\.sh/);
      process.env.CHROMIUM_PATH = "/nonexistent/chromium";
      assert.throws(() => chromiumPath(), /CHROMIUM_PATH=\/nonexistent\/chromium/);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  test("desktop: click fetches /api/echo and the answer appears, without problems", { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(browser);
    const { page, problems } = await openPage(browser, `${base}/`);
    pages.push(page);
    const size = await page.evaluate(() => [window.innerWidth, window.innerHeight, window.devicePixelRatio]);
    assert.deepEqual(size, [1366, 900, 1]);
    await page.click("#go");
    await waitForText(page, "#out", "echo: hello 1366", 5_000);
    assert.deepEqual(problems, []);

    const file = await saveScreenshot(page, "harness-smoke-desktop");
    assert.equal(file, `${SCREENSHOT_DIR}/harness-smoke-desktop.png`);
    assert.ok(existsSync(file));
    const png = readFileSync(file);
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    assert.equal(png.readUInt32BE(16), 1366, "IHDR width: the desktop viewport at scale 1");
  });

  test("phone: 390×844 at scale 2 with touch; click works, without problems", { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(browser);
    const { page, problems } = await openPage(browser, `${base}/`, { viewport: "phone", headers: { "x-test": "1" } });
    pages.push(page);
    const size = await page.evaluate(() => [window.innerWidth, window.innerHeight, window.devicePixelRatio, navigator.maxTouchPoints > 0]);
    assert.deepEqual(size, [390, 844, 2, true]);
    await page.click("#go");
    await waitForText(page, "#out", "echo: hello 390", 5_000);
    assert.deepEqual(problems, []);
    const png = readFileSync(await saveScreenshot(page, "harness-smoke-phone"));
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
    assert.equal(png.readUInt32BE(16), 780, "IHDR width: 390 CSS px at deviceScaleFactor 2");
  });

  test("problems collects console errors and warnings, page errors, HTTP ≥ 400 and failed requests", { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.ok(browser);
    const { page, problems } = await openPage(browser, `${base}/bad`);
    pages.push(page);
    await waitForText(page, "#out", "done", 5_000);
    const has = (re: RegExp) => problems.some((p) => re.test(p));
    const expected = [
      /^console\.error: x \(/,
      /^console\.warn: careful \(/,
      /^pageerror: boom/,
      new RegExp(`^HTTP 404: GET ${base}/missing$`),
      new RegExp(`^requestfailed: GET ${base}/drop net::ERR_EMPTY_RESPONSE$`),
    ];
    // Events arrive over CDP independently of the page's own progress: wait for them, bounded.
    await until("every expected problem", () => expected.every(has)).catch(() => undefined);
    for (const re of expected) assert.ok(has(re), `${re} in ${JSON.stringify(problems, null, 2)}`);
  });

  test("closing the browser ends its processes and removes its profile", { timeout: TEST_TIMEOUT_MS }, async () => {
    const own = await launchBrowser();
    const proc = own.process();
    assert.ok(proc?.pid);
    const profileArg = proc.spawnargs.find((a) => a.startsWith("--user-data-dir="));
    assert.ok(profileArg);
    const profile = profileArg.slice("--user-data-dir=".length);
    assert.ok(existsSync(profile));
    const { page } = await openPage(own, "about:blank");
    assert.ok(pidsMentioning(profile).length >= 1);
    await page.close();
    await own.close();
    assert.equal(existsSync(profile), false, "profile dir removed");
    await until("no process mentioning the profile", () => pidsMentioning(profile).length === 0);
  });
});
