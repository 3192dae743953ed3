/**
 * `npm run bench`: ingest throughput and latency of AlertPrism and, when installed, the real Alertmanager
 * 0.25, measured in the same run on the same machine. Prints a table and JSON. Not a test: asserts nothing.
 * Load goes to 127.0.0.1 only and every scenario is bounded in requests and seconds.
 */
import { execSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { Agent, request } from "undici";
import { startServer, stopServer, webhookConfig, type Target } from "./servers.ts";
import { RAISED_LIMITS, closedLoop, percentile, type LoadResult } from "./load.ts";
import { stormScenario, printStorm } from "./storm.ts";
import { historyScenario, printHistory } from "./history.ts";
import { anomalyScenario, printAnomaly } from "./anomaly.ts";
import { faultScenario, printFaults } from "./faults.ts";
import { tracingScenario, printTracing } from "./tracing.ts";
import { soakScenario, printSoak } from "./soak.ts";
import { haScenario, printHa } from "./ha.ts";
import { evaluateTargets, machineLine, printTargets, writeReadmeTable } from "./targets.ts";

const SINK_PORT = 19399;
const CONFIG = webhookConfig(`http://127.0.0.1:${SINK_PORT}/`);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

async function start(name: string, port: number): Promise<Target> {
  return startServer(name, port, CONFIG, name === "alertprism" ? RAISED_LIMITS : undefined);
}

function batch(prefix: string, seq: number, size: number): string {
  const alerts = [];
  for (let i = 0; i < size; i++) {
    alerts.push({ labels: { alertname: "BenchAlert", instance: `${prefix}-${seq}-${i}`, job: "bench", severity: "warning" }, annotations: { summary: "benchmark" } });
  }
  return JSON.stringify(alerts);
}

type Result = LoadResult;

/** CLIENTS concurrent keep-alive clients posting for SECONDS (or until maxRequests). */
function ingest(t: Target, perRequest: number, bodies: (seq: number) => string, maxRequests: number): Promise<Result> {
  return closedLoop(t.url, perRequest, bodies, { clients: CLIENTS, seconds: SECONDS, maxRequests });
}

/** A webhook sink that resolves a waiter when the notification for an alertname arrives. */
function startSink(): { waiters: Map<string, () => void>; close(): void } {
  const waiters = new Map<string, () => void>();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      res.end("ok");
      try {
        const name = (JSON.parse(body) as { groupLabels: { alertname?: string } }).groupLabels.alertname;
        if (name) waiters.get(name)?.();
      } catch { /* not ours */ }
    });
  });
  server.listen(SINK_PORT, "127.0.0.1");
  return { waiters, close: () => server.close() };
}

const DELIVERY_WARMUP = 20;

/** POST of a new alert to its webhook notification, one at a time, with group_wait 0s. */
async function deliveryLatency(t: Target, sink: ReturnType<typeof startSink>, samples: number): Promise<Result> {
  const latencies: number[] = [];
  const replies: number[] = [];
  // The first notifications of a fresh process open the connection to the sink and run code not yet
  // optimised (up to 43 ms here, for either system); unmeasured, so p99 is the steady state, not start-up.
  for (let i = -DELIVERY_WARMUP; i < samples; i++) {
    const name = `Latency_${t.name}_${i}`;
    const arrived = new Promise<void>((resolve) => sink.waiters.set(name, resolve));
    const t0 = performance.now();
    const r = await request(`${t.url}/api/v2/alerts`, { method: "POST", body: JSON.stringify([{ labels: { alertname: name } }]), headers: { "content-type": "application/json" } });
    await r.body.dump();
    if (i >= 0) replies.push(performance.now() - t0);
    await Promise.race([arrived, new Promise((_, reject) => setTimeout(() => reject(new Error(`${t.name}: no notification for ${name}`)), 5000))]);
    if (i >= 0) latencies.push(performance.now() - t0);
    sink.waiters.delete(name);
  }
  if (process.env.BENCH_DELIVERY_WORST === "1") {
    const round = (ms: number) => Math.round(ms * 100) / 100;
    const worst = latencies.map((ms, i) => ({ i, ms: round(ms), reply: round(replies[i]!) })).sort((a, b) => b.ms - a.ms).slice(0, 8);
    console.log(`${t.name} slowest deliveries (sample: ms, of which until the reply): ${worst.map((w) => `${w.i}: ${w.ms} (${w.reply})`).join(", ")}`);
    const sortedReplies = [...replies].sort((a, b) => a - b);
    console.log(`${t.name} reply p50 ${round(percentile(sortedReplies, 0.5))} ms, p99 ${round(percentile(sortedReplies, 0.99))} ms`);
  }
  latencies.sort((a, b) => a - b);
  return { alertsPerSec: 0, requests: samples, p50ms: percentile(latencies, 0.5), p99ms: percentile(latencies, 0.99) };
}

/** Resident memory of a process, from /proc (Linux). */
function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** Posts `count` distinct firing alerts (explicit endsAt an hour ahead, so they stay active). */
async function fill(t: Target, from: number, count: number): Promise<void> {
  const endsAt = new Date(Date.now() + 3600_000).toISOString();
  const agent = new Agent({ connections: 4 });
  let next = from;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < from + count) {
      const start = next;
      next += 64;
      const alerts = [];
      for (let i = start; i < Math.min(start + 64, from + count); i++) {
        alerts.push({ labels: { alertname: `Mem${i % 50}`, instance: `host-${i}`, job: "bench", severity: i % 3 ? "warning" : "critical" }, annotations: { summary: "memory benchmark" }, endsAt });
      }
      const r = await request(`${t.url}/api/v2/alerts`, { method: "POST", body: JSON.stringify(alerts), headers: { "content-type": "application/json" }, dispatcher: agent });
      await r.body.dump();
      if (r.statusCode !== 200) throw new Error(`${t.name}: status ${r.statusCode}`);
    }
  }));
  await agent.close();
}

/** Sequential GETs of a listing; returns p50/p99 and the body size. */
async function listing(t: Target, path: string, samples: number): Promise<Result & { bytes: number }> {
  const latencies: number[] = [];
  let bytes = 0;
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const r = await request(`${t.url}${path}`);
    bytes = (await r.body.arrayBuffer()).byteLength;
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  return { alertsPerSec: 0, requests: samples, p50ms: percentile(latencies, 0.5), p99ms: percentile(latencies, 0.99), bytes };
}

/** Fresh servers: memory idle, then listing and memory with 10,000 and memory with 100,000 active alerts. */
async function sizeScenarios(name: string, port: number): Promise<Record<string, number | Result>> {
  const t = await start(name, port);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const idle = rssMiB(t.proc.pid);
    await fill(t, 0, 10_000);
    const alerts10k = await listing(t, "/api/v2/alerts", 30);
    const groups10k = await listing(t, "/api/v2/alerts/groups", 30);
    const rss10k = rssMiB(t.proc.pid);
    await fill(t, 10_000, 90_000);
    await new Promise((r) => setTimeout(r, 2000));
    const rss100k = rssMiB(t.proc.pid);
    return { "rss idle MiB": idle, "rss 10k MiB": rss10k, "rss 100k MiB": rss100k, "GET /api/v2/alerts, 10k active": alerts10k, "GET /api/v2/alerts/groups, 10k active": groups10k };
  } finally {
    await stopServer(t);
  }
}

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === "anomaly") {
    // Pure in-process work: no build, no servers.
    const anomaly = anomalyScenario();
    printAnomaly(anomaly);
    console.log("\n" + JSON.stringify({ date: new Date().toISOString(), anomaly }, null, 2));
    return;
  }
  if (process.env.BENCH_ONLY === "faults") {
    // In-process (the event loop measured is the app's own), on the real clock, from the build.
    if (process.env.BENCH_NO_BUILD !== "1") execSync("npm run build --silent", { stdio: "inherit" });
    const faults = await faultScenario();
    printFaults(faults);
    console.log("\n" + JSON.stringify({ date: new Date().toISOString(), faults }, null, 2));
    return;
  }
  // Measure what production runs: the compiled JavaScript, not the TypeScript loader.
  execSync("npm run build --silent", { stdio: "inherit" });
  const withAlertmanager = existsSync("/usr/bin/prometheus-alertmanager");
  if (process.env.BENCH_ONLY === "history") {
    const history = await historyScenario();
    printHistory(history);
    console.log("\n" + JSON.stringify({ date: new Date().toISOString(), history }, null, 2));
    return;
  }
  if (process.env.BENCH_ONLY === "soak") {
    const soak = await soakScenario();
    printSoak(soak);
    console.log("\n" + JSON.stringify({ date: new Date().toISOString(), soak }, null, 2));
    return;
  }
  if (process.env.BENCH_ONLY === "storm") {
    const storm = await stormScenario(withAlertmanager);
    printStorm(storm);
    console.log("\n" + JSON.stringify({ date: new Date().toISOString(), storm }, null, 2));
    return;
  }
  if (process.env.BENCH_ONLY === "ha") {
    const ha = await haScenario();
    printHa(ha);
    console.log("\n" + JSON.stringify({ date: new Date().toISOString(), ha }, null, 2));
    return;
  }
  if (process.env.BENCH_ONLY === "tracing") {
    const tracing = await tracingScenario();
    printTracing(tracing);
    console.log("\n" + JSON.stringify({ date: new Date().toISOString(), tracing }, null, 2));
    return;
  }
  const names = ["alertprism", ...(withAlertmanager ? ["alertmanager"] : [])];
  if (!withAlertmanager) console.log("prometheus-alertmanager not installed: measuring AlertPrism only (bash scripts/install-system-deps.sh)");
  const results: Record<string, Record<string, Result>> = {};
  const sink = startSink();
  // Each scenario on fresh instances, one system at a time, so neither measures the other's leftovers.
  const scenarios: Array<[string, (t: Target) => Promise<Result>]> = [
    ["POST -> webhook, group_wait 0s", (t) => deliveryLatency(t, sink, 200)],
    ["ingest new, 1/request", (t) => ingest(t, 1, (s) => batch("n1", s, 1), 200_000)],
    ["ingest new, 64/request", (t) => ingest(t, 64, (s) => batch("n64", s, 64), 20_000)],
    // Prometheus re-sends every firing alert each evaluation: the same 10,000 fingerprints over and over.
    ["re-post 10,000 firing, 64/request", (t) => ingest(t, 64, (s) => batch("re", s % 157, 64), 20_000)],
  ];
  // BENCH_SCENARIOS: comma-separated parts of scenario names to run alone (e.g. "webhook,re-post"; "memory"
  // for the memory and listing scenarios); the extra scenarios and the README table are then skipped.
  const only = (process.env.BENCH_SCENARIOS ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  const chosen = (scenario: string): boolean => only.length === 0 || only.some((part) => scenario.includes(part));
  try {
    for (const [scenario, run] of scenarios) {
      if (!chosen(scenario)) continue;
      for (const name of names) {
        const t = await start(name, name === "alertprism" ? 19301 : 19302);
        try {
          (results[name] ??= {})[scenario] = await run(t);
        } finally {
          await stopServer(t);
        }
      }
    }
  } finally {
    sink.close();
  }
  const sizes: Record<string, Record<string, number | Result>> = {};
  if (chosen("memory")) for (const name of names) sizes[name] = await sizeScenarios(name, name === "alertprism" ? 19303 : 19304);
  for (const [name, r] of Object.entries(sizes)) {
    for (const [scenario, v] of Object.entries(r)) if (typeof v !== "number") (results[name] ??= {})[scenario] = v;
  }
  const rows: string[][] = [["scenario", "target", "alerts/s", "p50 ms", "p99 ms", "requests"]];
  for (const scenario of Object.keys(results.alertprism ?? {})) {
    for (const name of names) {
      const r = results[name]![scenario]!;
      rows.push([scenario, name, r.alertsPerSec ? String(r.alertsPerSec) : "-", String(r.p50ms), String(r.p99ms), String(r.requests)]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const machine = machineLine(CLIENTS, SECONDS);
  console.log(`\nmachine: ${machine}\n`);
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join("  "));
  if (Object.keys(sizes).length > 0) {
    console.log("\nresident memory (MiB):");
    for (const key of ["rss idle MiB", "rss 10k MiB", "rss 100k MiB"]) {
      console.log(`  ${key.replace(" MiB", "").padEnd(10)} ${names.map((n) => `${n} ${String(sizes[n]?.[key])}`).join("   ")}`);
    }
  }
  const verdicts = evaluateTargets(results, Object.fromEntries(names.map((n) => [n, numbersOf(sizes[n] ?? {})])));
  printTargets(verdicts);
  if (only.length > 0) {
    console.log("\n" + JSON.stringify({ date: new Date().toISOString(), clients: CLIENTS, seconds: SECONDS, results, sizes }, null, 2));
    return;
  }
  if (withAlertmanager && process.env.BENCH_WRITE_README !== "0") writeReadmeTable("bench/README.md", verdicts, machine);
  const storm = await stormScenario(names.length > 1);
  printStorm(storm);
  const tracing = await tracingScenario();
  printTracing(tracing);
  const ha = await haScenario();
  printHa(ha);
  console.log("\n" + JSON.stringify({ date: new Date().toISOString(), clients: CLIENTS, seconds: SECONDS, results, sizes, storm, tracing, ha }, null, 2));
}

function numbersOf(r: Record<string, number | Result>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).filter((e): e is [string, number] => typeof e[1] === "number"));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
