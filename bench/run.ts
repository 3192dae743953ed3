/**
 * `npm run bench`: ingest throughput and latency of AlertPrism and, when installed, the real Alertmanager
 * 0.25, measured in the same run on the same machine. Prints a table and JSON. Not a test: asserts nothing.
 * Load goes to 127.0.0.1 only and every scenario is bounded in requests and seconds.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir, cpus, totalmem } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";

const CONFIG = `
route:
  receiver: sink
  group_by: [alertname]
receivers:
  - name: sink
`;
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

interface Target { name: string; url: string; proc: ChildProcess; dir: string; }

async function waitReady(url: string, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${url}/-/ready`);
      if (r.ok) return;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready`);
}

async function start(name: string, port: number): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  writeFileSync(join(dir, "am.yml"), CONFIG);
  const args = name === "alertprism"
    ? ["--import", "tsx", "src/main.ts", `--config.file=${dir}/am.yml`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"]
    : [`--config.file=${dir}/am.yml`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address=", "--log.level=warn"];
  const cmd = name === "alertprism" ? process.execPath : "prometheus-alertmanager";
  const proc = spawn(cmd, args, { stdio: "ignore", env: { ...process.env, ALERTPRISM_STORAGE_SYNCHRONOUS: process.env.ALERTPRISM_STORAGE_SYNCHRONOUS ?? "full" } });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, proc);
  return { name, url, proc, dir };
}

function batch(prefix: string, seq: number, size: number): string {
  const alerts = [];
  for (let i = 0; i < size; i++) {
    alerts.push({ labels: { alertname: "BenchAlert", instance: `${prefix}-${seq}-${i}`, job: "bench", severity: "warning" }, annotations: { summary: "benchmark" } });
  }
  return JSON.stringify(alerts);
}

interface Result { alertsPerSec: number; requests: number; p50ms: number; p99ms: number; }

/** CLIENTS concurrent keep-alive clients posting for SECONDS (or until maxRequests). */
async function ingest(t: Target, perRequest: number, bodies: (seq: number) => string, maxRequests: number): Promise<Result> {
  const agent = new Agent({ connections: CLIENTS, pipelining: 1 });
  const latencies: number[] = [];
  let seq = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < deadline && seq < maxRequests) {
      const body = bodies(seq++);
      const t0 = performance.now();
      const r = await request(`${t.url}/api/v2/alerts`, { method: "POST", body, headers: { "content-type": "application/json" }, dispatcher: agent });
      await r.body.dump();
      if (r.statusCode !== 200) throw new Error(`${t.name}: status ${r.statusCode}`);
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  await agent.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { alertsPerSec: Math.round((latencies.length * perRequest) / elapsed), requests: latencies.length, p50ms: round(pct(0.5)), p99ms: round(pct(0.99)) };
}

const round = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const targets: Target[] = [await start("alertprism", 19301)];
  if (existsSync("/usr/bin/prometheus-alertmanager")) targets.push(await start("alertmanager", 19302));
  else console.log("prometheus-alertmanager not installed: measuring AlertPrism only (bash scripts/install-system-deps.sh)");
  const results: Record<string, Record<string, Result>> = {};
  try {
    for (const t of targets) {
      results[t.name] = {
        "ingest new, 1/request": await ingest(t, 1, (s) => batch("n1", s, 1), 200_000),
        "ingest new, 64/request": await ingest(t, 64, (s) => batch("n64", s, 64), 20_000),
        // Prometheus re-sends every firing alert each evaluation: the same 10,000 fingerprints over and over.
        "re-post 10,000 firing, 64/request": await ingest(t, 64, (s) => batch("re", s % 157, 64), 20_000),
      };
    }
  } finally {
    for (const t of targets) {
      t.proc.kill("SIGTERM");
      rmSync(t.dir, { recursive: true, force: true });
    }
  }
  const rows: string[][] = [["scenario", "target", "alerts/s", "p50 ms", "p99 ms", "requests"]];
  for (const scenario of Object.keys(results.alertprism!)) {
    for (const t of targets) {
      const r = results[t.name]![scenario]!;
      rows.push([scenario, t.name, String(r.alertsPerSec), String(r.p50ms), String(r.p99ms), String(r.requests)]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(`\nmachine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GiB; ${CLIENTS} clients, ${SECONDS}s per scenario; AlertPrism synchronous=${process.env.ALERTPRISM_STORAGE_SYNCHRONOUS ?? "full"}\n`);
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join("  "));
  console.log("\n" + JSON.stringify({ date: new Date().toISOString(), clients: CLIENTS, seconds: SECONDS, results }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
