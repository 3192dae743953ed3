// npm run test:fuzz — the full fuzz run: 10,000 cases per endpoint by default.
//   --cases=N   cases per endpoint      --seed=N   fast-check seed (the run is deterministic for a seed)
//   --only=RE   endpoints whose name matches      --deep-every=N   full state snapshot every N-th batch
//   --concurrency=N   requests in flight (a batch); the state is checked after batches that were all rejected
//   --warm-up=N   cases per endpoint run before the baseline heap is taken
// Prints each endpoint's cases, statuses and failures, then the failures, unhandled errors, error logs and
// the heap after GC before and after; exits 1 if anything failed.
import { runFuzz, HEAP_TOLERANCE_MB } from "./harness.ts";

const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const cases = Number(arg("cases") ?? 10_000);
const seed = Number(arg("seed") ?? 20261203);
const deepEvery = Number(arg("deep-every") ?? 20);
const concurrency = Number(arg("concurrency") ?? 4);
const warmUp = Number(arg("warm-up") ?? 20);
const only = arg("only");
const started = Date.now();
console.log(`fuzzing every endpoint: ${cases} cases each, seed ${seed}, ${concurrency} in flight, full state snapshot every ${deepEvery} batches`);
const report = await runFuzz({ casesPerEndpoint: cases, seed, concurrency, deepStateEvery: deepEvery, warmUpCases: warmUp, ...(only ? { only: new RegExp(only) } : {}), progress: (l) => console.log(`  ${l}`) });

const total = report.endpoints.reduce((n, e) => n + e.cases, 0);
const checked = report.endpoints.reduce((n, e) => n + e.stateChecked, 0);
const statuses: Record<string, number> = {};
for (const e of report.endpoints) for (const [s, n] of Object.entries(e.statuses)) statuses[s] = (statuses[s] ?? 0) + n;
console.log(`\n${report.endpoints.length} endpoints, ${total} requests in ${((Date.now() - started) / 1000).toFixed(0)} s; statuses ${JSON.stringify(statuses)}`);
console.log(`body limit ${report.maxRequestBytes} bytes; ${checked} rejected requests checked for state changes`);
const h = report.heap;
const grew = h.afterMB - h.beforeMB;
console.log(`heap after GC: ${h.beforeMB.toFixed(1)} MB before the run (after a warm-up of ${warmUp} cases per endpoint), ${h.afterMB.toFixed(1)} MB after its apps stopped (${grew >= 0 ? "+" : ""}${grew.toFixed(1)} MB; tolerance ${HEAP_TOLERANCE_MB} MB); ` +
  `app running: ${h.runningBeforeMB.toFixed(1)} MB before the run, ${h.runningAfterMB.toFixed(1)} MB after`);
console.log(`failures: ${report.failureCount}; unhandled rejections/exceptions: ${report.unhandled.length}; error log lines: ${report.errorLogs.length}`);
for (const f of report.failures) console.log(`  FAIL ${f.endpoint}: ${f.problem}\n       ${f.request}`);
for (const u of report.unhandled.slice(0, 10)) console.log(`  UNHANDLED ${u}`);
for (const l of report.errorLogs.slice(0, 10)) console.log(`  ERROR LOG ${l}`);
const ok = report.failureCount === 0 && report.unhandled.length === 0 && report.errorLogs.length === 0 && grew <= HEAP_TOLERANCE_MB;
console.log(ok ? "OK" : "FAILED");
process.exit(ok ? 0 : 1);
