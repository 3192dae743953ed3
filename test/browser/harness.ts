// Browser-test helpers: drive Debian's headless Chromium through puppeteer-core (which never downloads a
// browser of its own), collect everything a page complains about, and save screenshots for a person to
// look at. Chromium comes from `bash scripts/install-system-deps.sh`; a missing one is an error, never a skip.
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import type { Browser, Page, Viewport } from "puppeteer-core";

/** Repository root: screenshots land under it wherever the tests are run from. */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** Where saveScreenshot writes (ignored by git). */
export const SCREENSHOT_DIR: string = join(REPO_ROOT, "test-artifacts", "screenshots");

const INSTALL_HINT = "run `bash scripts/install-system-deps.sh` (installs Debian's chromium)";
const LAUNCH_TIMEOUT_MS = 30_000;
// Every CDP call is bounded: a wedged browser fails the test instead of hanging it for puppeteer's 180 s default.
const PROTOCOL_TIMEOUT_MS = 30_000;
const NAVIGATION_TIMEOUT_MS = 15_000;

const VIEWPORTS: Record<"desktop" | "phone", Viewport> = {
  desktop: { width: 1366, height: 900, deviceScaleFactor: 1, isMobile: false, hasTouch: false },
  phone: { width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
};

// ---------------------------------------------------------------------------------------------
// Process-exit safety net: a test that forgets to close its browser (or a crash) still leaves no
// profile directory behind. (puppeteer itself kills the browser's process group on exit.)

const profileDirs = new Set<string>();
let exitHookInstalled = false;

function removeProfile(dir: string): void {
  profileDirs.delete(dir);
  rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const dir of profileDirs) rmSync(dir, { recursive: true, force: true });
  });
}

// ---------------------------------------------------------------------------------------------

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The Chromium to drive: $CHROMIUM_PATH if set, else `chromium` on PATH. Throws (with the install hint) if neither. */
export function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!isExecutableFile(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const candidate = join(dir, "chromium");
    if (isExecutableFile(candidate)) return candidate;
  }
  throw new Error(`chromium not found on PATH and CHROMIUM_PATH is not set: ${INSTALL_HINT}`);
}

/**
 * Launches headless Chromium (the new headless mode) with a fresh temporary profile that is removed when
 * the browser closes. It talks to puppeteer over a pipe, so it listens on no port at all. `--no-sandbox`
 * because the tests run as root in CI containers, where Chromium's sandbox refuses to start.
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  installExitHook();
  const userDataDir = mkdtempSync(join(tmpdir(), "alertprism-chromium-"));
  profileDirs.add(userDataDir);
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath,
      headless: true,
      pipe: true,
      userDataDir,
      timeout: LAUNCH_TIMEOUT_MS,
      protocolTimeout: PROTOCOL_TIMEOUT_MS,
      defaultViewport: VIEWPORTS.desktop,
      args: [
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-default-browser-check",
        "--disable-component-update",
        "--disable-domain-reliability",
        "--no-pings",
      ],
    });
  } catch (err) {
    removeProfile(userDataDir);
    throw new Error(`could not launch ${executablePath}: ${(err as Error).message}`, { cause: err });
  }
  const proc = browser.process();
  if (proc && proc.exitCode === null && proc.signalCode === null) {
    // Runs within the same "exit" emit that resolves browser.close(), so the profile is gone when close() returns.
    proc.once("exit", () => removeProfile(userDataDir));
  } else {
    browser.once("disconnected", () => removeProfile(userDataDir));
  }
  return browser;
}

export interface OpenPageOptions {
  /** desktop: 1366×900; phone: 390×844 at deviceScaleFactor 2 with touch and isMobile. Default desktop. */
  viewport?: "desktop" | "phone";
  /** Extra HTTP headers sent with every request of the page (e.g. Authorization). */
  headers?: Record<string, string>;
}

/**
 * Opens `url` in a new page and collects, from before the navigation on, every console error/warning,
 * uncaught page error, failed request and HTTP response with status ≥ 400, one line each, into `problems`
 * (which keeps filling while the page lives), so a test can end with `assert.deepEqual(problems, [])`.
 */
export async function openPage(
  browser: Browser,
  url: string,
  opts: OpenPageOptions = {},
): Promise<{ page: Page; problems: string[] }> {
  const problems: string[] = [];
  const page = await browser.newPage();
  try {
    page.setDefaultTimeout(NAVIGATION_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
    page.on("console", (msg) => {
      const type = msg.type();
      if (type !== "error" && type !== "warn") return;
      const loc = msg.location();
      const where = loc.url ? ` (${loc.url}${loc.lineNumber !== undefined ? `:${loc.lineNumber + 1}` : ""})` : "";
      problems.push(`console.${type}: ${msg.text()}${where}`);
    });
    page.on("pageerror", (err) => {
      problems.push(`pageerror: ${err instanceof Error ? err.message : String(err)}`);
    });
    page.on("requestfailed", (req) => {
      problems.push(`requestfailed: ${req.method()} ${req.url()} ${req.failure()?.errorText ?? "(no reason given)"}`);
    });
    page.on("response", (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
    });
    await page.setViewport(VIEWPORTS[opts.viewport ?? "desktop"]);
    if (opts.headers) await page.setExtraHTTPHeaders(opts.headers);
    await page.goto(url, { waitUntil: "load" });
  } catch (err) {
    await page.close().catch(() => undefined);
    throw err;
  }
  return { page, problems };
}

/** Writes a full-page PNG to test-artifacts/screenshots/<name>.png under the repository root; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new Error(`screenshot name ${JSON.stringify(name)}: use letters, digits, ".", "_", "-"`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: path as `${string}.png`, type: "png", fullPage: true });
  return path;
}

/** Waits until some element matching `selector` has `text` in its textContent; the error shows what was there instead. */
export async function waitForText(page: Page, selector: string, text: string, timeoutMs = 5_000): Promise<void> {
  try {
    await page.waitForFunction(
      (sel: string, want: string) => Array.from(document.querySelectorAll(sel)).some((el) => (el.textContent ?? "").includes(want)),
      { timeout: timeoutMs, polling: "mutation" },
      selector,
      text,
    );
  } catch (err) {
    const seen = await page
      .$$eval(selector, (els) => els.map((el) => (el.textContent ?? "").trim().slice(0, 200)))
      .catch((e: unknown) => `(could not read: ${(e as Error).message})`);
    throw new Error(`no ${selector} containing ${JSON.stringify(text)} within ${timeoutMs} ms; found ${JSON.stringify(seen)}`, { cause: err });
  }
}
