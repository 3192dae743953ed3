/**
 * The tracing scenario of `npm run bench` (BENCH_ONLY=tracing): the same ingest load against AlertPrism
 * with tracing off and with tracing on (every trace sampled, spans exported over OTLP/HTTP to a local
 * receiver in this process), and the ratio. The routing is the main ingest scenario's (one group, notified
 * once to a local webhook), so the figure is the cost per request: the request span, the commit spans and
 * the correlation. Load goes to 127.0.0.1 only, bounded in requests and seconds.
 */
import { createServer, type Server } from "node:http";
import { Agent, request } from "undici";
import { startServer, stopServer } from "./servers.ts";

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const PER_REQUEST = 64;
const ROUNDS = Number(process.env.BENCH_TRACING_ROUNDS ?? 2);
const MAX_REQUESTS = 20_000;
const OTLP_PORT = 19325;
const HOOK_PORT = 19326;

const CONFIG = `
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:${HOOK_PORT}/
`;
const LIMITS = `
limits:
  max_alerts: 10000000
  max_alerts_per_alertname: 10000000
`;
const TRACING = `
tracing:
  endpoint: http://127.0.0.1:${OTLP_PORT}
  sampling_ratio: 1
`;

export interface TracingRun { alertsPerSec: number; requests: number; p50ms: number; p99ms: number; spansExported: number }
export interface TracingResult { off: TracingRun; on: TracingRun; onOverOff: number }

/** A receiver that answers 200 and counts what it got (the OTLP receiver counts spans). */
function receiver(port: number, countSpans: boolean): { server: Server; spans: () => number } {
  let spans = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (countSpans) spans += (Buffer.concat(chunks).toString().match(/"spanId"/g) ?? []).length;
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(port, "127.0.0.1");
  return { server, spans: () => spans };
}

function body(run: string, seq: number): string {
  const alerts = [];
  for (let i = 0; i < PER_REQUEST; i++) {
    alerts.push({ labels: { alertname: "TraceBench", team: `t${seq % 50}`, instance: `${run}-${seq}-${i}` }, annotations: { summary: "benchmark" } });
  }
  return JSON.stringify(alerts);
}

async function load(url: string, run: string): Promise<Omit<TracingRun, "spansExported">> {
  const agent = new Agent({ connections: CLIENTS, pipelining: 1 });
  const latencies: number[] = [];
  let seq = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (Date.now() < deadline && seq < MAX_REQUESTS) {
      const b = body(run, seq++);
      const t0 = performance.now();
      const r = await request(`${url}/api/v2/alerts`, { method: "POST", body: b, headers: { "content-type": "application/json" }, dispatcher: agent });
      await r.body.dump();
      if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`);
      latencies.push(performance.now() - t0);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  await agent.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0) * 100) / 100;
  return { alertsPerSec: Math.round((latencies.length * PER_REQUEST) / elapsed), requests: latencies.length, p50ms: pct(0.5), p99ms: pct(0.99) };
}

/** Needs the compiled build (bench/run.ts builds it first). */
export async function tracingScenario(): Promise<TracingResult> {
  const otlp = receiver(OTLP_PORT, true);
  const hook = receiver(HOOK_PORT, false);
  try {
    const measure = async (on: boolean, port: number): Promise<TracingRun> => {
      const before = otlp.spans();
      const t = await startServer("alertprism", port, CONFIG, LIMITS + (on ? TRACING : ""));
      let r: Omit<TracingRun, "spansExported">;
      try {
        r = await load(t.url, on ? "on" : "off");
      } finally {
        // Stopping flushes the last spans to the receiver.
        await stopServer(t);
      }
      return { ...r, spansExported: otlp.spans() - before };
    };
    // Alternating rounds, best of each: a shared machine's load drifts over a run.
    let off: TracingRun | undefined;
    let on: TracingRun | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const a = await measure(false, 19321);
      const b = await measure(true, 19322);
      if (!off || a.alertsPerSec > off.alertsPerSec) off = a;
      if (!on || b.alertsPerSec > on.alertsPerSec) on = b;
    }
    return { off: off!, on: on!, onOverOff: Math.round((on!.alertsPerSec / Math.max(1, off!.alertsPerSec)) * 1000) / 1000 };
  } finally {
    otlp.server.close();
    hook.server.close();
  }
}

export function printTracing(r: TracingResult): void {
  console.log(`\ntracing overhead (ingest ${PER_REQUEST}/request, ${CLIENTS} clients, ${SECONDS}s, best of ${ROUNDS} alternating rounds, one group; on: every trace sampled, OTLP/HTTP to 127.0.0.1):`);
  for (const [name, x] of [["off", r.off], ["on", r.on]] as const) {
    console.log(`  ${name.padEnd(4)} ${String(x.alertsPerSec).padStart(8)} alerts/s  p50 ${x.p50ms} ms  p99 ${x.p99ms} ms  ${x.requests} requests  ${x.spansExported} spans exported`);
  }
  console.log(`  on/off throughput: ${r.onOverOff}`);
}
