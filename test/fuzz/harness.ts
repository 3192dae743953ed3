// Runs the fuzzer against the whole app in-process: every endpoint gets `cases` generated requests over
// raw sockets; every answer is checked (never 5xx unless Alertmanager documents it, 413 over the body
// limit, no hang), rejected requests (4xx or no answer) must leave the state as it was, and the process
// must see no unhandled rejection, no uncaught exception and no error log line. Memory: the heap after GC
// is sampled after every endpoint (the curve), compared after the apps stopped with its baseline after a
// warm-up, and every app the run started must be garbage once stopped.
import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { startTestApp, type TestApp } from "../integration/app-fixture.ts";
import { authYaml, roleToken } from "../integration/auth-helpers.ts";
import { createLogger } from "../../src/lib/log.ts";
import { FakeClock } from "../../src/lib/clock.ts";
import { caseArb, type Endpoint, type FuzzCase } from "./generators.ts";
import { gcFunction, heapAfterGc, collected } from "../helpers/gc.ts";
import { documented5xx, mayCommitWhenRefused, fixedEndpoints, opsEndpoints, amtoolSilence, prometheusAlerts, webhookPayload, type Fixtures } from "./endpoints.ts";
import { sendRaw, type RawResult } from "./raw-http.ts";

export interface FuzzOptions {
  readonly casesPerEndpoint: number;
  readonly seed: number;
  /** Requests in flight at once (1: one after the other, every rejected request's effect checked alone). */
  readonly concurrency: number;
  /** Snapshot the full state (alerts, silences, row counts) before every n-th batch, compared when all of it was rejected; 1 = every batch. */
  readonly deepStateEvery: number;
  /** Only endpoints whose name matches. */
  readonly only?: RegExp;
  /** Progress lines (one per endpoint). */
  readonly progress?: (line: string) => void;
  /** Cases per endpoint of the warm-up run before the baseline heap is taken (0: none). */
  readonly warmUpCases?: number;
  /** Only the endpoints whose position in the full list is `index` modulo `count` (one worker's part of a run). */
  readonly shard?: { readonly index: number; readonly count: number };
}

export interface Failure {
  readonly endpoint: string;
  readonly problem: string;
  readonly request: string;
  /** Where the case comes from: the run's seed and the batch (each batch is sampled from its own seed). */
  readonly origin: string;
}

export interface EndpointReport {
  readonly name: string;
  readonly cases: number;
  /** Status → count; "none" when the server closed without answering (a truncated body). */
  readonly statuses: Record<string, number>;
  readonly failures: number;
  /** Rejected requests whose effect on the database was checked (all of them at concurrency 1). */
  readonly stateChecked: number;
  readonly ms: number;
}

export interface FuzzReport {
  readonly endpoints: EndpointReport[];
  readonly failures: Failure[];
  readonly failureCount: number;
  readonly unhandled: string[];
  readonly errorLogs: string[];
  /** heapUsed after GC, MB: after a warm-up run (modules loaded, code compiled) and after the run's apps stopped. */
  readonly heap: { readonly beforeMB: number; readonly afterMB: number; readonly runningBeforeMB: number; readonly runningAfterMB: number };
  /** heapUsed after GC (MB) with the apps running, after each endpoint: `cases` done so far in the run. */
  readonly heapSamples: ReadonlyArray<{ readonly cases: number; readonly mb: number }>;
  /** Apps the run started (warm-up included) that were still reachable once stopped: a leak. */
  readonly appsNotCollected: number;
  readonly maxRequestBytes: number;
}

/**
 * The body limit the fuzzed app runs with. Strings and arrays up to most of it are accepted and then served
 * back by every listing, so a bigger limit mostly slows the run down; bodies of a few MB test the 413.
 */
export const MAX_REQUEST_BYTES = 1024 * 1024;
const MAX_FAILURES_KEPT = 50;

/** Each endpoint's cases come from the run's seed and the endpoint's name, whatever else runs (--only, shards). */
function endpointSeed(seed: number, name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return (seed * 7919) ^ h;
}

function describe(c: FuzzCase): string {
  const head = c.body === undefined ? "" : ` body[${c.body.length}]=${JSON.stringify(c.body.subarray(0, 160).toString("latin1"))}`;
  const hs = c.headers.map(([k, v]) => `${k}: ${v.length > 60 ? `${v.slice(0, 60)}…(${v.length})` : v}`).join(" | ");
  const target = c.target.length > 200 ? `${c.target.slice(0, 200)}…(${c.target.length})` : c.target;
  return `${c.method} ${target} [${c.delivery}; ${c.label}] {${hs}}${head}`;
}

interface Running {
  readonly t: TestApp;
  readonly port: number;
  readonly db: Database.Database;
  readonly tables: string[];
  readonly authHeader: ReadonlyArray<readonly [string, string]>;
  close(): Promise<void>;
}

async function startApp(clock: FakeClock, prism: string, logLines: string[], authToken?: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-fuzz-"));
  writeFileSync(join(dir, "alertprism.yml"), prism);
  // Error and fatal lines only: a fuzz run makes hundreds of thousands of requests.
  const logger = createLogger({ level: "warn", format: "json", destination: { write: (l: string) => void (/"level":"(error|fatal)"/.test(l) && logLines.push(l.slice(0, 2000))) } });
  const t = await startTestApp({ dir, clock, logger, flags: { "alertprism.config.file": join(dir, "alertprism.yml"), "web.max-request-bytes": String(MAX_REQUEST_BYTES) } });
  const db = new Database(join(dir, "alertprism.db"), { readonly: true, fileMustExist: true });
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
  return {
    t, db, tables,
    port: Number(new URL(t.url).port),
    authHeader: authToken ? [["authorization", `Bearer ${authToken}`]] : [],
    close: async () => {
      db.close();
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function get(r: Running, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(r.t.url + path, { headers: Object.fromEntries(r.authHeader) });
  return { status: res.status, text: await res.text() };
}

/** What a rejected request must not change: the live alerts and silences as the API shows them, and every table's row count. */
async function snapshot(r: Running): Promise<string> {
  const alerts = await get(r, "/api/v2/alerts");
  const silences = await get(r, "/api/v2/silences");
  const counts = r.tables.map((name) => `${name}=${(r.db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n}`);
  return JSON.stringify({ alerts: alerts.text, silences: silences.text, counts });
}

function dataVersion(r: Running): number {
  return r.db.pragma("data_version", { simple: true }) as number;
}

/** Work an accepted request started (history, enrichment) may commit just after its answer: let it land. */
async function settle(r: Running): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const v = dataVersion(r);
    // The commit queue flushes on setImmediate: two turns see any write queued by the last one.
    await new Promise((res) => setImmediate(res));
    await new Promise((res) => setImmediate(res));
    if (dataVersion(r) === v) return;
  }
}

/** Gives the app state to work on: alerts from Prometheus and from a webhook, a silence, an ack, a comment. */
async function seedState(r: Running, nowMs: number): Promise<Fixtures> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(r.t.url + path, { method: "POST", headers: { "content-type": "application/json", ...Object.fromEntries(r.authHeader) }, body: JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`seeding ${path}: ${res.status} ${text}`);
    return text;
  };
  await post("/api/v2/alerts", prometheusAlerts(nowMs));
  await post("/api/v1/webhook", webhookPayload(nowMs));
  const silence = JSON.parse(await post("/api/v2/silences", amtoolSilence(nowMs))) as { silenceID: string };
  const alerts = JSON.parse((await get(r, "/api/v2/alerts")).text) as Array<{ fingerprint: string }>;
  const fingerprints = alerts.map((a) => a.fingerprint);
  await post(`/api/ops/v1/alerts/${fingerprints[0]}/ack`, { comment: "seed" });
  await post(`/api/ops/v1/alerts/${fingerprints[0]}/comments`, { text: "seed" });
  await settle(r);
  return { nowMs, fingerprints: [...fingerprints, "0123456789abcdef"], silenceIds: [silence.silenceID, "00000000-0000-4000-8000-000000000000"] };
}

function checkAnswer(ep: Endpoint, c: FuzzCase, res: RawResult, fail: (problem: string, c: FuzzCase) => void): void {
  if (res.timedOut) fail("no answer within 30 s (hang)", c);
  const s = res.status;
  if (s !== undefined && s >= 500 && !documented5xx(ep, c.method, s)) fail(`status ${s}`, c);
  // The limit applies where the body is read: the endpoint's own method. Another method reaches another
  // route (OPTIONS: the route table's answer; GET of the same path), which may answer without reading it.
  if (c.label.startsWith("over-limit") && c.method === ep.method && s !== undefined && (s < 400 || (c.onlyBodyOdd && c.delivery === "whole" && s !== 413))) {
    fail(`status ${s} for a body over the limit (want 413)`, c);
  }
}

/** Whether the request may have changed the state: accepted, or refused after committing part of it (see endpoints.ts). */
const mayHaveCommitted = (ep: Endpoint, c: FuzzCase, res: RawResult) =>
  res.status !== undefined && (res.status < 400 || mayCommitWhenRefused(ep, c.method, res.status, res.body));

/**
 * A batch of refused requests changed what `observe` sees: each is sent again alone to find which one
 * does it. Refused requests leave nothing behind, so sending one again is the same experiment.
 */
async function culprits(r: Running, cs: readonly FuzzCase[], observe: () => Promise<string>): Promise<Array<{ c: FuzzCase; status: string }>> {
  const found: Array<{ c: FuzzCase; status: string }> = [];
  for (const c of cs) {
    const before = await observe();
    const res = await sendRaw(r.port, c);
    await settle(r);
    if ((await observe()) !== before) found.push({ c, status: String(res.status ?? "none") });
  }
  return found;
}

async function fuzzEndpoint(r: Running, ep: Endpoint, opts: FuzzOptions, failures: Failure[], count: { n: number }): Promise<EndpointReport> {
  const statuses: Record<string, number> = {};
  let failed = 0;
  let stateChecked = 0;
  let origin = "";
  const fail = (problem: string, c: FuzzCase) => {
    failed++;
    count.n++;
    if (failures.length < MAX_FAILURES_KEPT) failures.push({ endpoint: ep.name, problem, request: describe(c), origin });
  };
  const started = Date.now();
  const arb = caseArb(ep, MAX_REQUEST_BYTES);
  const size = Math.max(1, opts.concurrency);
  const epSeed = endpointSeed(opts.seed, ep.name);
  let version = dataVersion(r);
  let cases = 0;
  for (let batch = 0; cases < opts.casesPerEndpoint; batch++) {
    // Generated batch by batch (a case may hold megabytes), each batch from its own seed: deterministic.
    const cs = fc.sample(arb, { seed: (epSeed + batch) | 0, numRuns: Math.min(size, opts.casesPerEndpoint - cases) });
    origin = `seed ${opts.seed}, batch ${batch} (cases ${cases + 1}-${cases + cs.length}) of ${ep.name}`;
    cases += cs.length;
    const deep = opts.deepStateEvery > 0 && batch % opts.deepStateEvery === 0 ? await snapshot(r) : undefined;
    const results = await Promise.all(cs.map((c) => sendRaw(r.port, c)));
    results.forEach((res, k) => {
      const key = res.timedOut ? "timeout" : String(res.status ?? "none");
      statuses[key] = (statuses[key] ?? 0) + 1;
      checkAnswer(ep, cs[k]!, res, fail);
    });
    if (cs.some((c, k) => mayHaveCommitted(ep, c, results[k]!))) {
      // An accepted write may commit more just after answering; a read has nothing to wait for.
      if (cs.some((c) => c.method !== "GET" && c.method !== "HEAD")) await settle(r);
      version = dataVersion(r);
      continue;
    }
    // All refused (4xx, 5xx or no answer): nothing may have been committed...
    stateChecked += cs.length;
    await settle(r);
    if (dataVersion(r) !== version) {
      const statusList = results.map((x) => x.status ?? "none").join(",");
      const found = await culprits(r, cs, async () => String(dataVersion(r)));
      for (const f of found) fail(`database changed by a refused request (status ${f.status}; found by sending each request of the batch again alone)`, f.c);
      if (found.length === 0) fail(`database changed while a batch of ${cs.length} refused requests (status ${statusList}) ran; none changes it when sent alone: ${cs.map(describe).join(" || ")}`, cs[0]!);
      version = dataVersion(r);
    }
    // ...and, now and then, the whole visible state compared.
    if (deep !== undefined && (await snapshot(r)) !== deep) {
      const found = await culprits(r, cs, () => snapshot(r));
      for (const f of found) fail(`state changed by a refused request (status ${f.status}; found by sending each request of the batch again alone)`, f.c);
      if (found.length === 0) fail(`state changed while a batch of ${cs.length} refused requests ran; none changes it when sent alone: ${cs.map(describe).join(" || ")}`, cs[0]!);
      version = dataVersion(r);
    }
  }
  return { name: ep.name, cases, statuses, failures: failed, stateChecked, ms: Date.now() - started };
}

interface RunState {
  readonly reports: EndpointReport[];
  readonly failures: Failure[];
  readonly count: { n: number };
  readonly errorLogs: string[];
  readonly heapSamples: Array<{ cases: number; mb: number }>;
  readonly apps: Array<WeakRef<object>>;
  readonly gc: () => void;
}

/** Whether the endpoint at `position` in the full list (both apps) is part of this run. */
function selected(opts: FuzzOptions, name: string, position: number): boolean {
  return (!opts.only || opts.only.test(name)) && (!opts.shard || position % opts.shard.count === opts.shard.index);
}

/** The app without auth (every endpoint), then with auth and a valid admin token (the ops API). */
async function runApps(opts: FuzzOptions, st: RunState): Promise<{ beforeMB: number; afterMB: number }> {
  const heap = { beforeMB: 0, afterMB: 0 };
  const opsSection = "ops:\n  external_url: http://127.0.0.1:9093\n";
  let chosen = new Set<string>();
  let planned = 0;
  let casesDone = 0;
  const run = async (r: Running, endpoints: Endpoint[]) => {
    for (const ep of endpoints.filter((e) => chosen.has(e.name))) {
      const rep = await fuzzEndpoint(r, ep, opts, st.failures, st.count);
      st.reports.push(rep);
      const before = casesDone;
      casesDone += rep.cases;
      // The heap after GC each time another tenth of the run is done (a full GC takes a while on a busy machine).
      if (Math.floor((casesDone * 10) / planned) > Math.floor((before * 10) / planned)) st.heapSamples.push({ cases: casesDone, mb: await heapAfterGc(st.gc) });
      opts.progress?.(`${rep.name}: ${rep.cases} cases in ${(rep.ms / 1000).toFixed(1)} s, statuses ${JSON.stringify(rep.statuses)}, ` +
        `${rep.stateChecked} refused checked for state, failures ${rep.failures}`);
    }
  };
  const openApi = async (r: Running) => JSON.parse((await get(r, "/api/ops/v1/openapi.json")).text) as Parameters<typeof opsEndpoints>[0];
  const start = async (prism: string, token?: string) => {
    const clock = new FakeClock(Date.UTC(2026, 11, 1, 10, 0, 0));
    const r = await startApp(clock, prism, st.errorLogs, token);
    st.apps.push(new WeakRef(r.t.app));
    return { r, f: await seedState(r, clock.now()).catch(async (err: unknown) => { await r.close(); throw err; }) };
  };
  {
    const { r, f } = await start(opsSection);
    try {
      const doc = await openApi(r);
      const endpoints = [...fixedEndpoints(f), ...opsEndpoints(doc, f, [], "")];
      // Both apps' endpoints, by position: what --only and shards select from.
      const names = [...endpoints, ...opsEndpoints(doc, f, [], " (auth)")].map((e) => e.name);
      chosen = new Set(names.filter((n, at) => selected(opts, n, at)));
      planned = chosen.size * opts.casesPerEndpoint;
      heap.beforeMB = await heapAfterGc(st.gc);
      await run(r, endpoints);
      heap.afterMB = await heapAfterGc(st.gc);
    } finally {
      await r.close();
    }
  }
  if ([...chosen].some((n) => n.endsWith(" (auth)"))) {
    const { r, f } = await start(`${authYaml()}${opsSection}`, await roleToken("admin", "fuzzer"));
    try {
      await run(r, opsEndpoints(await openApi(r), f, r.authHeader, " (auth)"));
      heap.afterMB = await heapAfterGc(st.gc);
    } finally {
      await r.close();
    }
  }
  return heap;
}

/** The whole run, with the process watched for unhandled errors and the heap measured around it. */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const gc = gcFunction();
  const unhandled: string[] = [];
  const onRejection = (reason: unknown) => void unhandled.push(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
  const onException = (err: Error) => void unhandled.push(`uncaughtException: ${err.stack ?? String(err)}`);
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  const st: RunState = { reports: [], failures: [], count: { n: 0 }, errorLogs: [], heapSamples: [], apps: [], gc };
  const heap = { beforeMB: 0, afterMB: 0, runningBeforeMB: 0, runningAfterMB: 0 };
  let appsNotCollected = 0;
  const prevKey = process.env.ALERTPRISM_ACK_LINK_KEY;
  // One-click ack links on, so /ack/:token reaches its handler.
  process.env.ALERTPRISM_ACK_LINK_KEY = "fuzz-ack-link-key-0123456789abcdefghijklmnop";
  try {
    // A short warm-up run first: what it leaves (loaded modules, compiled code, lazily built tables) is not
    // a leak, so the baseline is taken after it.
    if ((opts.warmUpCases ?? 0) > 0) {
      await runApps({ ...opts, casesPerEndpoint: opts.warmUpCases!, seed: opts.seed + 1, progress: undefined }, { ...st, reports: [], heapSamples: [] });
    }
    heap.beforeMB = await heapAfterGc(gc);
    const running = await runApps(opts, st);
    heap.runningBeforeMB = running.beforeMB;
    heap.runningAfterMB = running.afterMB;
    // Let closed sockets and timers go before the last measure.
    await new Promise((res) => setTimeout(res, 200));
    for (const ref of st.apps) if (!(await collected(ref, gc))) appsNotCollected++;
    heap.afterMB = await heapAfterGc(gc);
  } finally {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
    if (prevKey === undefined) delete process.env.ALERTPRISM_ACK_LINK_KEY;
    else process.env.ALERTPRISM_ACK_LINK_KEY = prevKey;
  }
  return {
    endpoints: st.reports, failures: st.failures, failureCount: st.count.n, unhandled, errorLogs: st.errorLogs, heap,
    heapSamples: st.heapSamples, appsNotCollected, maxRequestBytes: MAX_REQUEST_BYTES,
  };
}

/** Heap growth allowed between the baseline (after the warm-up) and after the last app stopped. */
export const HEAP_TOLERANCE_MB = 4;
