/**
 * `BENCH_ONLY=soak npm run bench`: AlertPrism under steady load for BENCH_SOAK_MINUTES (10 by default).
 * First the maximum ingest of this fleet is measured (8 clients, 64 alerts per request, 10 s), then the
 * soak posts at half of it, paced, the way a Prometheus fleet does: 20,000 firing alerts in 200 groups
 * re-sent over and over, with a webhook receiver that fails 5 % of deliveries (retried) and a
 * repeat_interval of 1m so deliveries never stop. Per minute: resident memory, request p99, errors.
 * Target: memory and p99 within 10 % between the second and the last minute, no error.
 * BENCH_SOAK_RATE=N soaks at N alerts/s instead of half the measured maximum.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { Agent, request } from "undici";
import { startServer, stopServer, type Target } from "./servers.ts";
import { RAISED_LIMITS, closedLoop, percentile } from "./load.ts";

const FLEET = 20_000;
const PER_REQUEST = 64;
const CLIENTS = 8;
const FAIL_SHARE = 0.05;

const routing = (sink: string) => `
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
  group_interval: 10s
  repeat_interval: 1m
receivers:
  - name: team
    webhook_configs: [{ url: "${sink}" }]
`;

export interface SoakMinute { minute: number; rssMiB: number; p99ms: number; requests: number; errors: number }
export interface SoakResult {
  maxAlertsPerSec: number;
  rateAlertsPerSec: number;
  minutes: SoakMinute[];
  deliveries: number;
  failedDeliveries: number;
  memoryDrift: number;
  p99Drift: number;
  errors: number;
  verdict: "met" | "missed";
}

function startSink(): Promise<{ url: string; server: Server; counts: { ok: number; failed: number } }> {
  const counts = { ok: 0, failed: 0 };
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      // Every 20th delivery fails: 5 %, deterministic.
      if (++n % Math.round(1 / FAIL_SHARE) === 0) {
        counts.failed++;
        res.statusCode = 500;
      } else {
        counts.ok++;
      }
      res.end();
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server, counts })));
}

function body(seq: number): string {
  const endsAt = new Date(Date.now() + 4 * 60_000).toISOString();
  const alerts = [];
  for (let i = 0; i < PER_REQUEST; i++) {
    const k = (seq * PER_REQUEST + i) % FLEET;
    alerts.push({ labels: { alertname: `Soak${k % 200}`, instance: `host-${k}`, job: "soak", severity: k % 7 ? "warning" : "critical" }, annotations: { summary: "soak" }, startsAt: "2026-01-01T00:00:00Z", endsAt });
  }
  return JSON.stringify(alerts);
}

function rssMiB(pid: number | undefined): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

const p99 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 0.99);

async function post(t: Target, agent: Agent, seq: number): Promise<{ ms: number; ok: boolean }> {
  const t0 = performance.now();
  try {
    const r = await request(`${t.url}/api/v2/alerts`, { method: "POST", body: body(seq), headers: { "content-type": "application/json" }, dispatcher: agent });
    await r.body.dump();
    return { ms: performance.now() - t0, ok: r.statusCode === 200 };
  } catch {
    return { ms: performance.now() - t0, ok: false };
  }
}

export async function soakScenario(minutes = Number(process.env.BENCH_SOAK_MINUTES ?? 10)): Promise<SoakResult> {
  const sink = await startSink();
  const t = await startServer("alertprism", 19305, routing(sink.url), RAISED_LIMITS);
  const agent = new Agent({ connections: CLIENTS, pipelining: 1 });
  try {
    // Closed loop, as fast as it goes: the maximum this instance ingests.
    const max = (await closedLoop(t.url, PER_REQUEST, body, { clients: CLIENTS, seconds: 10, maxRequests: Infinity })).alertsPerSec;
    // BENCH_SOAK_RATE (alerts/s) fixes the rate instead, so runs on a machine whose speed varies compare.
    const fixed = Number(process.env.BENCH_SOAK_RATE ?? "");
    const rate = Number.isFinite(fixed) && fixed > 0 ? fixed : max / 2;
    const intervalMs = (1000 * PER_REQUEST) / rate;
    const result: SoakMinute[] = [];
    let seq = 0;
    let inFlight = 0;
    for (let m = 1; m <= minutes; m++) {
      const latencies: number[] = [];
      let errors = 0;
      const until = Date.now() + 60_000;
      const pending: Array<Promise<void>> = [];
      // Open loop: requests leave on schedule whether or not earlier ones were answered (at most 64 open).
      let next = performance.now();
      while (Date.now() < until) {
        if (inFlight < 64) {
          inFlight++;
          pending.push(post(t, agent, seq++).then((r) => {
            inFlight--;
            latencies.push(r.ms);
            if (!r.ok) errors++;
          }));
        } else {
          errors++; // the receiver fell so far behind that the schedule could not be kept
        }
        next += intervalMs;
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      await Promise.all(pending);
      result.push({ minute: m, rssMiB: rssMiB(t.proc.pid), p99ms: p99(latencies), requests: latencies.length, errors });
      console.log(`  soak minute ${m}: rss ${result.at(-1)!.rssMiB} MiB, p99 ${result.at(-1)!.p99ms} ms, ${latencies.length} requests, ${errors} errors`);
    }
    const second = result[Math.min(1, result.length - 1)]!;
    const last = result.at(-1)!;
    const memoryDrift = (last.rssMiB - second.rssMiB) / second.rssMiB;
    const p99Drift = (last.p99ms - second.p99ms) / second.p99ms;
    const errors = result.reduce((n, r) => n + r.errors, 0);
    return {
      maxAlertsPerSec: Math.round(max),
      rateAlertsPerSec: Math.round(rate),
      minutes: result,
      deliveries: sink.counts.ok + sink.counts.failed,
      failedDeliveries: sink.counts.failed,
      memoryDrift,
      p99Drift,
      errors,
      verdict: Math.abs(memoryDrift) <= 0.1 && p99Drift <= 0.1 && errors === 0 ? "met" : "missed",
    };
  } finally {
    await agent.close();
    await stopServer(t);
    sink.server.close();
  }
}

export function printSoak(r: SoakResult): void {
  const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;
  console.log(`\nsoak: max ingest ${r.maxAlertsPerSec} alerts/s, soaked at ${r.rateAlertsPerSec} alerts/s for ${r.minutes.length} min; deliveries ${r.deliveries} (${r.failedDeliveries} answered 500)`);
  console.log(`  memory minute 2 → last: ${pct(r.memoryDrift)}; p99 minute 2 → last: ${pct(r.p99Drift)}; errors ${r.errors}; target: both within 10 %, no error → ${r.verdict}`);
}
