// Shared end-to-end helpers: spawn the real Alertmanager / Prometheus / amtool binaries and
// AlertPrism itself on 127.0.0.1, with every wait bounded and every process reaped.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, isAbsolute, join, resolve } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";

/** Repository root, so AlertPrism and tsx resolve the same way wherever the tests are run from. */
export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

const INSTALL_HINT = "run `bash scripts/install-system-deps.sh`";
const STARTUP_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const AMTOOL_TIMEOUT_MS = 20_000;
// Alertmanager at debug level is chatty; keep the tail, which is what explains a failure.
const MAX_LOG_CHARS = 2_000_000;

// ---------------------------------------------------------------------------------------------
// Process-exit safety net: whatever a test forgets (or a crash skips), children and temp dirs go.

const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on("exit", () => {
    for (const child of liveChildren) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    if (process.env.E2E_KEEP_TMP) return; // debugging aid: keep configs, databases and TSDBs
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  // Signals skip "exit" handlers unless we turn them into an exit.
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => process.exit(128 + (sig === "SIGINT" ? 2 : sig === "SIGTERM" ? 15 : 1)));
  }
}

// ---------------------------------------------------------------------------------------------
// Small utilities

/** A stream that keeps what is written to it (for running a CLI command in-process). */
export function captureStream(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString("utf8") };
}

/** Runs `fn` over the items at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A port that was free a moment ago (the OS picks it; callers retry on a lost race). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createNetServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      if (addr === null || typeof addr === "string") {
        srv.close();
        reject(new Error("could not read the port of a 127.0.0.1:0 listener"));
        return;
      }
      const { port } = addr;
      srv.close((err) => (err ? reject(err) : resolvePort(port)));
    });
  });
}

/**
 * Absolute path of a binary on PATH. Throws (never skips) when absent: a missing binary must fail
 * the suite loudly rather than let it pass vacuously.
 */
export function requireBinary(name: string): string {
  const candidates = isAbsolute(name)
    ? [name]
    : (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "").map((d) => join(d, name));
  for (const p of candidates) {
    try {
      accessSync(p, fsConstants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  throw new Error(`required binary "${name}" not found on PATH; ${INSTALL_HINT}`);
}

/** A fresh directory under the OS temp dir, removed when the test process exits. */
export function makeTempDir(prefix: string): string {
  installExitHooks();
  const dir = mkdtempSync(join(tmpdir(), `alertprism-e2e-${prefix.replace(/[^A-Za-z0-9_.-]/g, "_")}-`));
  tempDirs.add(dir);
  return dir;
}

/** Polls GET `url` until it answers 200; rejects after `timeoutMs` with the last failure. */
export async function waitForHttp(url: string, timeoutMs: number, abortIf?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    const reason = abortIf?.();
    if (reason !== undefined) throw new Error(`gave up waiting for ${url}: ${reason}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(250, Math.min(2_000, deadline - Date.now()))) });
      await res.arrayBuffer(); // drain so the socket is reused or closed
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ""}` : String(err);
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for 200 from ${url}; last: ${last}`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------
// Spawned servers

export interface RunningServer {
  /** Base URL without trailing slash, e.g. http://127.0.0.1:40123 */
  url: string;
  port: number;
  /** The process id (of the wrapper's command, once it exec'ed). */
  pid: number;
  /** Everything the process wrote to stdout and stderr so far (tail, if very long). */
  logs(): string;
  /** SIGTERM, wait for exit; SIGKILL if still alive after 5 s. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit (crash simulation). Idempotent. */
  kill9(): Promise<void>;
}

interface Spawned {
  child: ChildProcess;
  logs(): string;
  exited: Promise<void>;
  /** Set once the process has exited: how it ended. */
  exitDescription(): string | undefined;
}

function spawnLogged(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv }): Spawned {
  installExitHooks();
  let buf = "";
  const append = (chunk: Buffer): void => {
    buf += chunk.toString("utf8");
    if (buf.length > MAX_LOG_CHARS) buf = "[...truncated...]\n" + buf.slice(buf.length - MAX_LOG_CHARS / 2);
  };
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  liveChildren.add(child);
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  let how: string | undefined;
  const exited = new Promise<void>((r) => {
    child.once("error", (err) => {
      how = `failed to spawn: ${err.message}`;
      liveChildren.delete(child);
      r();
    });
    // "close" (not "exit") so the last log lines are in the buffer when we report.
    child.once("close", (code, signal) => {
      how = signal !== null ? `killed by ${signal}` : `exited with code ${String(code)}`;
      liveChildren.delete(child);
      r();
    });
  });
  return { child, logs: () => buf, exited, exitDescription: () => how };
}

async function signalAndWait(s: Spawned, graceMs: number, first: NodeJS.Signals): Promise<void> {
  if (s.exitDescription() !== undefined) return;
  s.child.kill(first);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    s.exited.then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    s.child.kill("SIGKILL");
    await s.exited;
  }
}

function toRunningServer(s: Spawned, port: number): RunningServer {
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: s.child.pid ?? -1,
    logs: s.logs,
    stop: () => signalAndWait(s, STOP_GRACE_MS, "SIGTERM"),
    kill9: () => signalAndWait(s, 0, "SIGKILL"),
  };
}

const ADDRESS_IN_USE = /address already in use|EADDRINUSE/i;

/**
 * Spawns a server on a fresh port and waits until `readyPath` answers 200. A lost port race
 * (someone else grabbed the port between freePort() and bind) is retried with a new port.
 */
async function startServer(
  name: string,
  buildArgs: (port: number) => { cmd: string; args: string[]; cwd?: string; env?: NodeJS.ProcessEnv },
  readyPath = "/-/ready",
): Promise<RunningServer> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const { cmd, args, cwd, env } = buildArgs(port);
    const s = spawnLogged(cmd, args, { cwd, env });
    const server = toRunningServer(s, port);
    try {
      await waitForHttp(`${server.url}${readyPath}`, STARTUP_TIMEOUT_MS, () => s.exitDescription());
      return server;
    } catch (err) {
      await server.kill9();
      if (attempt < 3 && ADDRESS_IN_USE.test(s.logs())) continue;
      const msg = err instanceof Error ? err.message : String(err);
      throw new Error(`${name} did not become ready: ${msg}\n--- ${name} command ---\n${cmd} ${args.join(" ")}\n--- ${name} logs ---\n${s.logs()}`, {
        cause: err,
      });
    }
  }
}

/** Real Alertmanager 0.25, gossip off, its own temp storage. */
export async function startAlertmanager(opts: { configYaml: string; extraArgs?: string[] }): Promise<RunningServer> {
  const bin = requireBinary("prometheus-alertmanager");
  const dir = makeTempDir("alertmanager");
  const configFile = join(dir, "alertmanager.yml");
  writeFileSync(configFile, opts.configYaml);
  const storage = join(dir, "data");
  mkdirSync(storage);
  return startServer("alertmanager", (port) => ({
    cmd: bin,
    args: [
      `--config.file=${configFile}`,
      `--storage.path=${storage}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
      "--log.level=debug",
      ...(opts.extraArgs ?? []),
    ],
    cwd: dir,
  }));
}

export const ALERTPRISM_DB_FILE = "alertprism.db";

/** The --web.route-prefix among the flags, without a trailing slash ("" for none): readiness is served under it. */
function routePrefixOf(args: readonly string[]): string {
  const flag = args.find((a) => a.startsWith("--web.route-prefix="));
  return flag === undefined ? "" : flag.slice("--web.route-prefix=".length).replace(/\/+$/, "");
}

/**
 * AlertPrism from source (node --import tsx src/main.ts) with Alertmanager-style flags.
 * `--storage.path` is a directory holding alertprism.db; pass `dbPath` of an earlier run to reuse it.
 */
export async function startAlertPrism(opts: {
  configYaml: string;
  alertprismYaml?: string;
  dbPath?: string;
  extraArgs?: string[];
  env?: Record<string, string>;
  /** A command that runs AlertPrism's command line (appended to it) by exec'ing it, e.g. a mount-namespace wrapper. */
  wrap?: readonly string[];
}): Promise<RunningServer & { dbPath: string }> {
  const dir = makeTempDir("alertprism");
  const configFile = join(dir, "alertmanager.yml");
  writeFileSync(configFile, opts.configYaml);
  let prismConfigFile: string | undefined;
  if (opts.alertprismYaml !== undefined) {
    prismConfigFile = join(dir, "alertprism.yml");
    writeFileSync(prismConfigFile, opts.alertprismYaml);
  }
  const storageDir = opts.dbPath !== undefined ? dirname(resolve(opts.dbPath)) : join(dir, "data");
  mkdirSync(storageDir, { recursive: true });
  const wrap = opts.wrap ?? [];
  const server = await startServer("alertprism", (port) => ({
    cmd: wrap[0] ?? process.execPath,
    args: [
      ...(wrap.length > 0 ? [...wrap.slice(1), process.execPath] : []),
      "--import",
      "tsx",
      join(REPO_ROOT, "src", "main.ts"),
      `--config.file=${configFile}`,
      `--storage.path=${storageDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(prismConfigFile !== undefined ? [`--alertprism.config.file=${prismConfigFile}`] : []),
      ...(opts.extraArgs ?? []),
    ],
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
  }), `${routePrefixOf(opts.extraArgs ?? [])}/-/ready`);
  return { ...server, dbPath: join(storageDir, ALERTPRISM_DB_FILE) };
}

/**
 * Real Prometheus 2.42. `rulesYaml` is written as `alert.rules` next to the config; the literal
 * `RULES_FILE` in `configYaml` is replaced by its absolute path.
 * Gotcha: Prometheus usually evaluates its first rules before its Alertmanager targets are discovered
 * and drops those notifications; the next attempt only comes after `--rules.alert.resend-delay`
 * (default 1m). Tests wanting the first notification fast pass `--rules.alert.resend-delay=1s`.
 */
export async function startPrometheus(opts: { configYaml: string; rulesYaml?: string; extraArgs?: string[] }): Promise<RunningServer> {
  const bin = requireBinary("prometheus");
  const dir = makeTempDir("prometheus");
  const rulesFile = join(dir, "alert.rules");
  if (opts.rulesYaml !== undefined) writeFileSync(rulesFile, opts.rulesYaml);
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, opts.configYaml.replaceAll("RULES_FILE", rulesFile));
  const tsdb = join(dir, "tsdb");
  mkdirSync(tsdb);
  return startServer("prometheus", (port) => ({
    cmd: bin,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${tsdb}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(opts.extraArgs ?? []),
    ],
    cwd: dir,
  }));
}

// ---------------------------------------------------------------------------------------------
// amtool

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

let amtoolHome: string | undefined;

/**
 * Runs `amtool --alertmanager.url=<url> ...args` (20 s limit). HOME points at an empty temp dir so a
 * developer's ~/.config/prometheus/amtool.yml cannot change defaults such as the output format.
 * Rejects only if amtool cannot be spawned or times out; a non-zero exit is returned as `code`.
 */
export async function runAmtool(args: string[], alertmanagerUrl: string): Promise<CommandResult> {
  const bin = requireBinary("amtool");
  amtoolHome ??= makeTempDir("amtool-home");
  const fullArgs = [`--alertmanager.url=${alertmanagerUrl}`, ...args];
  const s = spawnLogged(bin, fullArgs, { env: { ...process.env, HOME: amtoolHome } });
  let stdout = "";
  let stderr = "";
  s.child.stdout?.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
  s.child.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    s.exited.then(() => false),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(true), AMTOOL_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut) {
    await signalAndWait(s, 0, "SIGKILL");
    throw new Error(`amtool ${fullArgs.join(" ")} timed out after ${AMTOOL_TIMEOUT_MS} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  }
  const code = s.child.exitCode;
  if (code === null) throw new Error(`amtool ${fullArgs.join(" ")}: ${s.exitDescription() ?? "no exit status"}\nstderr:\n${stderr}`);
  return { code, stdout, stderr };
}

// ---------------------------------------------------------------------------------------------
// Webhook sink

export interface ReceivedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
  /** Date.now() at arrival. */
  at: number;
}

export interface WebhookSink {
  /** Base URL without trailing slash; append any path, it is recorded. */
  url: string;
  received: ReceivedRequest[];
  /** Resolves once pred(received.length) holds; rejects after timeoutMs. */
  waitFor(pred: (n: number) => boolean, timeoutMs: number): Promise<void>;
  /** Status code answered from now on (200 by default); use 500 etc. to test retries. */
  setStatus(code: number): void;
  close(): Promise<void>;
}

export function startWebhookSink(): Promise<WebhookSink> {
  const received: ReceivedRequest[] = [];
  let status = 200;
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST") {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep raw text: a malformed payload is itself worth asserting on
        }
        received.push({ path: req.url ?? "", headers: copyHeaders(req.headers), body, at: Date.now() });
      }
      res.writeHead(status, { "Content-Type": "text/plain" });
      res.end(status >= 200 && status < 300 ? "ok" : "failing on purpose");
    });
  });
  // Senders keep connections alive; without this close() would wait for their idle timeout.
  server.keepAliveTimeout = 60_000;
  return new Promise((resolveSink, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      if (addr === null || typeof addr === "string") {
        reject(new Error("webhook sink: no port"));
        return;
      }
      resolveSink({
        url: `http://127.0.0.1:${addr.port}`,
        received,
        setStatus: (code) => {
          status = code;
        },
        async waitFor(pred, timeoutMs) {
          const deadline = Date.now() + timeoutMs;
          while (!pred(received.length)) {
            if (Date.now() >= deadline) {
              throw new Error(`webhook sink: condition not met within ${timeoutMs} ms (${received.length} received)`);
            }
            await sleep(50);
          }
        },
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

function copyHeaders(h: IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  return { ...h };
}

// ---------------------------------------------------------------------------------------------
// Backend selection

export type BackendKind = "alertmanager" | "alertprism";

const BACKENDS: readonly BackendKind[] = ["alertmanager", "alertprism"];

/** Backends to run the shared scenarios against: env E2E_BACKENDS (comma list), default both. */
export function backendsUnderTest(): BackendKind[] {
  const raw = process.env.E2E_BACKENDS?.trim();
  if (!raw) return [...BACKENDS];
  const out: BackendKind[] = [];
  for (const part of raw.split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const kind = BACKENDS.find((b) => b === part);
    if (kind === undefined) throw new Error(`E2E_BACKENDS: unknown backend "${part}"; expected a comma list of ${BACKENDS.join(", ")}`);
    if (!out.includes(kind)) out.push(kind);
  }
  if (out.length === 0) throw new Error("E2E_BACKENDS is set but names no backend");
  return out;
}

/** Starts the given backend with an Alertmanager configuration. */
export function startBackend(kind: BackendKind, configYaml: string): Promise<RunningServer> {
  return kind === "alertmanager" ? startAlertmanager({ configYaml }) : startAlertPrism({ configYaml });
}

/** An alert as GET /api/v2/alerts returns it (Alertmanager's gettableAlert). */
export interface GettableAlert {
  annotations: Record<string, string>;
  endsAt: string;
  fingerprint: string;
  receivers: Array<{ name: string }>;
  startsAt: string;
  status: { inhibitedBy: string[]; silencedBy: string[]; state: string };
  updatedAt: string;
  generatorURL?: string;
  labels: Record<string, string>;
}

/** A fake exporter: `/metrics` serves the named gauges with the values the test sets. */
export interface GaugeExporter {
  port: number;
  set(name: string, value: number): void;
  close(): Promise<void>;
}

export function startGaugeExporter(initial: Record<string, number>): Promise<GaugeExporter> {
  const gauges = new Map(Object.entries(initial));
  const server = createHttpServer((req, res) => {
    if (req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
    res.end([...gauges].map(([name, v]) => `# TYPE ${name} gauge\n${name} ${v}\n`).join(""));
  });
  // Prometheus keeps its scrape connection alive; close() must not wait for that.
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address() as { port: number };
      resolve({
        port: addr.port,
        set: (name, value) => {
          gauges.set(name, value);
        },
        close: () => new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
      });
    });
  });
}
