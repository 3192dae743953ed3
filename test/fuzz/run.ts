// npm run test:fuzz — the full fuzz run: 10,000 cases per endpoint by default.
//   --cases=N   cases per endpoint      --seed=N   fast-check seed (the run is deterministic for a seed and --workers)
//   --only=RE   endpoints whose name matches      --deep-every=N   full state snapshot every N-th batch
//   --concurrency=N   requests in flight (a batch); the state is checked after batches that were all refused
//   --warm-up=N   cases per endpoint run before the baseline heap is taken
//   --workers=N   processes, each fuzzing its own apps with every N-th endpoint (default 2: one per core)
// Prints each endpoint's cases, statuses and failures, then the failures, unhandled errors, error logs and
// each worker's heap after GC (baseline, curve, after its apps stopped); exits 1 if anything failed.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runFuzz, HEAP_TOLERANCE_MB, type FuzzReport } from "./harness.ts";

const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const cases = Number(arg("cases") ?? 10_000);
const seed = Number(arg("seed") ?? 20261203);
const deepEvery = Number(arg("deep-every") ?? 20);
const concurrency = Number(arg("concurrency") ?? 4);
const warmUp = Number(arg("warm-up") ?? 20);
const workers = Math.max(1, Number(arg("workers") ?? 2));
const only = arg("only");
const shard = arg("shard");

if (shard !== undefined) {
  // A worker: its part of the run, progress on stdout, the report to the parent.
  const [index, count] = shard.split("/").map(Number) as [number, number];
  const report = await runFuzz({
    casesPerEndpoint: cases, seed, concurrency, deepStateEvery: deepEvery, warmUpCases: warmUp, shard: { index, count },
    ...(only ? { only: new RegExp(only) } : {}), progress: (l) => console.log(`  [${index}] ${l}`),
  });
  process.send!(report, () => process.exit(0));
} else {
  const started = Date.now();
  console.log(`fuzzing every endpoint: ${cases} cases each, seed ${seed}, ${workers} worker(s), ${concurrency} in flight each, full state snapshot every ${deepEvery} batches`);
  const self = fileURLToPath(import.meta.url);
  const reports = await Promise.all(Array.from({ length: workers }, (_, i) => new Promise<FuzzReport>((resolve, reject) => {
    const child = fork(self, [...process.argv.slice(2).filter((a) => !a.startsWith("--shard=")), `--shard=${i}/${workers}`], {
      execArgv: ["--expose-gc", "--import", "tsx"],
    });
    let report: FuzzReport | undefined;
    child.on("message", (m) => void (report = m as FuzzReport));
    child.on("exit", (code, signal) => (report ? resolve(report) : reject(new Error(`worker ${i} ended (${signal ?? code}) without a report`))));
  })));
  process.exit(summarise(reports, Date.now() - started) ? 0 : 1);
}

function summarise(reports: readonly FuzzReport[], ms: number): boolean {
  const endpoints = reports.flatMap((r) => r.endpoints);
  const total = endpoints.reduce((n, e) => n + e.cases, 0);
  const checked = endpoints.reduce((n, e) => n + e.stateChecked, 0);
  const statuses: Record<string, number> = {};
  for (const e of endpoints) for (const [s, n] of Object.entries(e.statuses)) statuses[s] = (statuses[s] ?? 0) + n;
  console.log(`\n${endpoints.length} endpoints, ${total} requests in ${(ms / 1000).toFixed(0)} s; statuses ${JSON.stringify(statuses)}`);
  console.log(`body limit ${reports[0]!.maxRequestBytes} bytes; ${checked} refused requests checked for state changes`);
  let ok = true;
  reports.forEach((r, i) => {
    const h = r.heap;
    const grew = h.afterMB - h.beforeMB;
    const total = r.heapSamples.at(-1)?.cases ?? 0;
    // The heap after GC when 10%, 20%, … of the worker's cases were done (apps running, their state growing).
    const curve = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((k) => r.heapSamples.find((s) => s.cases >= (k * total) / 10)?.mb.toFixed(1) ?? "-");
    console.log(`worker ${i}: heap after GC ${h.beforeMB.toFixed(1)} MB after the warm-up (${warmUp} cases per endpoint), ` +
      `${h.afterMB.toFixed(1)} MB after its apps stopped (${grew >= 0 ? "+" : ""}${grew.toFixed(1)} MB; tolerance ${HEAP_TOLERANCE_MB} MB); ` +
      `apps still reachable once stopped: ${r.appsNotCollected}; running: ${h.runningBeforeMB.toFixed(1)} MB at the start, at 10%…100%: ${curve.join(" ")}`);
    if (grew > HEAP_TOLERANCE_MB || r.appsNotCollected > 0) ok = false;
  });
  const failures = reports.flatMap((r) => r.failures);
  const failureCount = reports.reduce((n, r) => n + r.failureCount, 0);
  const unhandled = reports.flatMap((r) => r.unhandled);
  const errorLogs = reports.flatMap((r) => r.errorLogs);
  console.log(`failures: ${failureCount}; unhandled rejections/exceptions: ${unhandled.length}; error log lines: ${errorLogs.length}`);
  for (const f of failures) console.log(`  FAIL ${f.endpoint}: ${f.problem}\n       ${f.request}\n       (${f.origin})`);
  for (const u of unhandled.slice(0, 10)) console.log(`  UNHANDLED ${u}`);
  for (const l of errorLogs.slice(0, 10)) console.log(`  ERROR LOG ${l}`);
  ok &&= failureCount === 0 && unhandled.length === 0 && errorLogs.length === 0;
  console.log(ok ? "OK" : "FAILED");
  return ok;
}
