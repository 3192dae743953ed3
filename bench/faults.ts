/**
 * The downstream-fault scenario of `npm run bench` (BENCH_ONLY=faults): the app (compiled) in this process
 * on the real clock, one receiver per fault (test/helpers/fault-servers.ts, run in a child process by
 * fault-sinks.ts) plus a healthy one, GROUPS alert groups each. One receiver answers 503 for FAULT_SECONDS
 * (BENCH_FAULT_SECONDS, 60 by default; 600 is the issue's "10 minutes") and then recovers. Printed: the
 * event loop's delay (how late a 5 ms tick fires: max, p99) against the 50 ms target, every stall of 50 ms or more with
 * what overlapped it (group commits and COMMIT, GC, other JS: loop-stalls.ts), heap after GC before /
 * during / after the faults, the outbox size, and whether the recovering receiver got every notification
 * exactly once. Not a test: it asserts nothing.
 */
import { fork } from "node:child_process";
import { setPriority } from "node:os";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import Database from "better-sqlite3";
import { pino } from "pino";
import { UNRESOLVABLE_HOST } from "../test/helpers/fault-servers.ts";
import type * as AppModule from "../src/app.ts";
import type * as SettingsModule from "../src/settings.ts";
import type * as CommitQueueModule from "../src/store/commit-queue.ts";
import type { FaultSinkAddresses, FaultSinkReport } from "./fault-sinks.ts";
import { StallRecorder, type StallReport } from "./loop-stalls.ts";

const GROUPS = Number(process.env.BENCH_FAULT_GROUPS ?? 20);
const FAULT_SECONDS = Number(process.env.BENCH_FAULT_SECONDS ?? 60);
const RECOVERY_SECONDS = 30;
const TARGET_MS = 50;
const STARTUP_SECONDS = 5;
const WARMUP_MS = 12_000;

export interface FaultBench {
  groups: number;
  receivers: number;
  faultSeconds: number;
  eventLoopMaxMs: number;
  eventLoopP99Ms: number;
  eventLoopSteadyMaxMs: number;
  eventLoopPerSecondMaxMs: readonly number[];
  stalls: StallReport;
  heapMiB: { start: number; midFault: number; endFault: number; afterRecovery: number };
  outboxRows: { midFault: number; endFault: number; afterRecovery: number };
  flaky: { expected: number; delivered: number; duplicates: number; missing: number };
  healthyDelivered: number;
  requestsSeen: Record<string, number>;
  /** V8's helper threads for this run (--v8-pool-size, in NODE_OPTIONS or on the command line). */
  v8PoolSize: string;
}

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
/**
 * The bench's own synchronous work (forced GC, counting rows): the event-loop measurement pauses around it.
 * (perf_hooks' monitorEventLoopDelay cannot: re-enabled, its first sample spans the pause.)
 */
let recorder: StallRecorder | undefined;
function unmeasured<T>(fn: () => T): T {
  recorder?.pause();
  try {
    return fn();
  } finally {
    recorder?.resume();
  }
}
function heapMiB(): number {
  return unmeasured(() => {
    gc();
    return Math.round((process.memoryUsage().heapUsed / 1048576) * 10) / 10;
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The sinks of fault-sinks.ts in a child process; resolves once they listen. */
async function startSinks(recoverAt: number): Promise<{ addresses: FaultSinkAddresses; report(): Promise<FaultSinkReport>; close(): Promise<void> }> {
  const child = fork(new URL("./fault-sinks.ts", import.meta.url), { execArgv: ["--import", "tsx"], env: { ...process.env, FAULT_RECOVER_AT: String(recoverAt) } });
  const next = <T>(key: string): Promise<T> => new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`fault sinks exited with ${code}`));
    child.once("exit", onExit);
    const onMessage = (m: Record<string, unknown>) => {
      if (!(key in m)) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(m[key] as T);
    };
    child.on("message", onMessage);
  });
  const addresses = await next<FaultSinkAddresses>("ready");
  // The sinks stand in for servers on other machines. On this 2-core machine they would otherwise take
  // the CPU the app's main thread is waiting for, and their work would show up as the app's stalls (the
  // run-queue wait loop-stalls.ts reports); at the lowest priority they run when the app does not. A
  // priority is per thread on Linux, so every thread of the child (V8's, libuv's) gets it.
  for (const tid of readdirSync(`/proc/${child.pid}/task`)) setPriority(Number(tid), 19);
  return {
    addresses,
    report: () => {
      const r = next<FaultSinkReport>("report");
      child.send({ cmd: "report" });
      return r;
    },
    close: () => new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.send({ cmd: "close" });
    }),
  };
}

/** The --v8-pool-size this process runs with (production sets it: deploy/kubernetes), or Node's default. */
function v8PoolSize(): string {
  const flag = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].find((a) => a.startsWith("--v8-pool-size="));
  return flag?.slice("--v8-pool-size=".length) ?? "4 (Node's default)";
}

export async function faultScenario(): Promise<FaultBench> {
  // What production runs: the compiled JavaScript (the caller built it), not the TypeScript loader, whose
  // source maps make every error's stack trace several times dearer.
  const dist = (path: string) => new URL(`../dist/src/${path}`, import.meta.url).href;
  const { App } = await import(dist("app.js")) as typeof AppModule;
  const { resolveSettings } = await import(dist("settings.js")) as typeof SettingsModule;
  const { CommitQueue } = await import(dist("store/commit-queue.js")) as typeof CommitQueueModule;
  // The TypeScript loader of this process turned source maps on for every stack trace; production has none.
  process.setSourceMapsEnabled(false);

  const recoverAt = Date.now() + WARMUP_MS + FAULT_SECONDS * 1000;
  const sinks = await startSinks(recoverAt);
  const webhooks: Record<string, string> = {
    ...sinks.addresses.http,
    refused: `http://127.0.0.1:${sinks.addresses.refusedPort}/hook`,
    dns: `http://${UNRESOLVABLE_HOST}/hook`,
  };
  const smtp = sinks.addresses.smtpPorts;
  const receivers = [...Object.keys(webhooks), ...Object.keys(smtp)];
  const yaml = `
route:
  receiver: healthy
  group_by: [alertname, target]
  group_wait: 1s
  group_interval: 10s
  repeat_interval: 4h
  routes:
${receivers.map((r) => `    - receiver: ${r}\n      matchers: ['target="${r}"']`).join("\n")}
receivers:
${Object.entries(webhooks).map(([r, url]) => `  - name: ${r}\n    webhook_configs: [{ url: "${url}" }]`).join("\n")}
${Object.entries(smtp).map(([r, port]) => `  - name: ${r}\n    email_configs: [{ to: "ops@example.com", from: "ap@example.com", smarthost: "127.0.0.1:${port}", require_tls: false }]`).join("\n")}
`;
  // BENCH_FAULT_DIR=/dev/shm keeps fsync latency (SQLite commits run on the event loop) out of the figure.
  const dir = mkdtempSync(join(process.env.BENCH_FAULT_DIR ?? tmpdir(), "bench-faults-"));
  writeFileSync(join(dir, "alertmanager.yml"), yaml);

  // Group commits and the COMMIT statement (where SQLite fsyncs) are timed from outside the app, so the
  // stalls can be split by cause. Only the timing is added; the calls are the app's own.
  const stalls = new StallRecorder();
  // Every group, scheduled or at shutdown, goes through the queue's (private) commitQueued.
  const queueInternals = CommitQueue.prototype as unknown as { commitQueued(this: InstanceType<typeof CommitQueue>): void };
  const commitQueued = queueInternals.commitQueued;
  queueInternals.commitQueued = function (this: InstanceType<typeof CommitQueue>) {
    stalls.timed(stalls.commitQueueSpans, () => commitQueued.call(this));
  };
  // The commit queue prepares its COMMIT once: its run() is what is timed.
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: Database.Database, source: string) {
    const statement = prepare.call(this, source);
    if (source === "COMMIT") {
      const run = statement.run.bind(statement) as () => Database.RunResult;
      statement.run = () => stalls.timed(stalls.commitSpans, run);
    }
    return statement;
  } as typeof prepare;

  const app = new App({
    settings: resolveSettings(new Map([
      ["config.file", join(dir, "alertmanager.yml")], ["storage.path", dir], ["web.listen-address", "127.0.0.1:0"],
      ...(process.env.ALERTPRISM_STORAGE_SYNCHRONOUS ? [["storage.synchronous", process.env.ALERTPRISM_STORAGE_SYNCHRONOUS] as [string, string]] : []),
    ]), {}),
    // Logged as in production (info, written from the thread pool as src/lib/log.ts does), to a file;
    // BENCH_LOG_SYNC=1 writes each line synchronously on the event loop instead.
    logger: pino({ level: "info" }, pino.destination({ dest: join(dir, "alertprism.log"), sync: process.env.BENCH_LOG_SYNC === "1" })),
  });
  const addr = await app.start();
  const outbox = () => unmeasured(() => {
    const db = new Database(join(dir, "alertprism.db"), { readonly: true });
    try {
      return (db.prepare("SELECT COUNT(*) AS n FROM outbox").get() as { n: number }).n;
    } finally {
      db.close();
    }
  });
  const post = async (alerts: unknown[]): Promise<void> => {
    const res = await fetch(`http://127.0.0.1:${addr.port}/api/v2/alerts`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(alerts) });
    if (res.status !== 200) throw new Error(`posting alerts: ${res.status} ${await res.text()}`);
  };
  const endsAt = new Date(Date.now() + 3600_000).toISOString();
  // Warm-up: one group per receiver through its first flush (group_wait + the 10 s deadline), so modules
  // loaded on first use and TLS contexts are not counted as stalls of the fault run.
  await post(receivers.map((target) => ({ labels: { alertname: "Warmup", target }, endsAt })));
  await sleep(WARMUP_MS);
  const start = heapMiB();
  recorder = stalls;
  stalls.start();
  await post(receivers.flatMap((target) => Array.from({ length: GROUPS }, (_, i) => ({ labels: { alertname: `Fault${i}`, target }, endsAt }))));

  await sleep((FAULT_SECONDS * 1000) / 2);
  const midFault = heapMiB();
  const outboxMid = outbox();
  await sleep(Math.max(0, recoverAt - Date.now() - 1000));
  const endFault = heapMiB();
  const outboxEnd = outbox();
  await sleep(RECOVERY_SECONDS * 1000);
  const stallReport = stalls.stop(TARGET_MS);
  recorder = undefined;
  const afterRecovery = heapMiB();
  const outboxAfter = outbox();

  const seen = await sinks.report();
  const delivered = seen.flakyDelivered.filter((k) => !k.includes("Warmup"));
  const distinct = new Set(delivered);
  const result: FaultBench = {
    groups: GROUPS, receivers: receivers.length, faultSeconds: FAULT_SECONDS,
    eventLoopMaxMs: stallReport.delay.maxMs,
    eventLoopP99Ms: stallReport.delay.p99Ms,
    // The first STARTUP_SECONDS hold the burst; the rest is the fault period and the recovery.
    eventLoopSteadyMaxMs: Math.max(0, ...stallReport.delay.perSecondMaxMs.slice(STARTUP_SECONDS)),
    eventLoopPerSecondMaxMs: stallReport.delay.perSecondMaxMs,
    stalls: stallReport,
    heapMiB: { start, midFault, endFault, afterRecovery },
    outboxRows: { midFault: outboxMid, endFault: outboxEnd, afterRecovery: outboxAfter },
    flaky: { expected: GROUPS, delivered: delivered.length, duplicates: delivered.length - distinct.size, missing: GROUPS - distinct.size },
    healthyDelivered: seen.healthyDelivered.filter((k) => !k.includes("Warmup")).length,
    requestsSeen: seen.requestsSeen,
    v8PoolSize: v8PoolSize(),
  };
  await app.stop();
  await sinks.close();
  queueInternals.commitQueued = commitQueued;
  Database.prototype.prepare = prepare;
  rmSync(dir, { recursive: true, force: true });
  return result;
}

export function printFaults(r: FaultBench): void {
  const st = r.stalls;
  const c = st.causesMs;
  const ms = (x: { count: number; p50Ms: number; p99Ms: number; maxMs: number; totalMs: number }) => `${x.count}, p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms, max ${x.maxMs} ms, total ${x.totalMs} ms`;
  console.log(`\nDownstream faults: ${r.receivers} receivers × ${r.groups} groups, 503 for ${r.faultSeconds} s then recovery (real clock, app in-process from dist/, sinks in a child process, V8 helper threads: ${r.v8PoolSize})`);
  console.log(`  event loop delay: max ${r.eventLoopMaxMs} ms, p99 ${r.eventLoopP99Ms} ms, ${st.stalls.length} stalls ≥ ${st.thresholdMs} ms (target: max < ${TARGET_MS} ms) — ${r.eventLoopMaxMs < TARGET_MS ? "met" : "MISSED"}`);
  console.log(`  after the first ${STARTUP_SECONDS} s (burst of first flushes): max ${r.eventLoopSteadyMaxMs} ms — ${r.eventLoopSteadyMaxMs < TARGET_MS ? "met" : "MISSED"}`);
  console.log(`  worst delay per second (ms): ${r.eventLoopPerSecondMaxMs.join(" ")}`);
  console.log(`  stalls ≥ ${st.thresholdMs} ms, ${c.total} ms in all: group commits ${c.commitQueue} ms (of which COMMIT ${c.commit} ms), GC ${c.gc} ms, other JS ${c.other} ms`);
  console.log(`    main thread during them: on a CPU ${c.cpu} ms, waiting for a CPU (machine load) ${c.runQueue} ms, blocked (sync I/O) ${c.blocked} ms`);
  console.log(`    without the run-queue wait: max ${st.maxOwnMs} ms, ${st.ownStalls} stalls ≥ ${st.thresholdMs} ms`);
  console.log(`    the longest without the run-queue wait:`);
  for (const s of [...st.stalls].sort((a, b) => b.ms - b.runQueueMs - (a.ms - a.runQueueMs)).slice(0, 12)) {
    console.log(`      ${new Date(performance.timeOrigin + s.start).toISOString().slice(11, 23)} ${Math.round((s.ms - s.runQueueMs) * 10) / 10} of ${s.ms} ms: group commits ${s.commitQueueMs} (COMMIT ${s.commitMs}), GC ${s.gcMs}, other ${Math.round((s.ms - s.commitQueueMs - s.gcMs) * 10) / 10}; on CPU ${s.cpuMs}, run queue ${s.runQueueMs}, blocked ${s.blockedMs}`);
  }
  console.log(`  group commits (whole run): ${ms(st.commitQueueFlushes)}`);
  console.log(`  COMMIT statements (whole run): ${ms(st.commits)}`);
  console.log(`  GC pauses (whole run): ${ms(st.gcPauses)}`);
  console.log(`  heap after GC (MiB): start ${r.heapMiB.start}, mid-fault ${r.heapMiB.midFault}, end of fault ${r.heapMiB.endFault}, after recovery ${r.heapMiB.afterRecovery}`);
  console.log(`  outbox rows: mid-fault ${r.outboxRows.midFault}, end of fault ${r.outboxRows.endFault}, after recovery ${r.outboxRows.afterRecovery}`);
  console.log(`  recovering receiver: ${r.flaky.delivered} of ${r.flaky.expected} delivered, ${r.flaky.duplicates} duplicates, ${r.flaky.missing} missing; healthy receiver: ${r.healthyDelivered}`);
  console.log(`  requests/sessions seen per fault endpoint: ${JSON.stringify(r.requestsSeen)}`);
}
