/** Load shared by the benchmark scenarios: closed-loop POSTs of alerts, percentiles, and limits out of the way. */
import { Agent, request } from "undici";

/**
 * Alertmanager has no live-set limits; AlertPrism's defaults (100,000 alerts, 25,000 per alertname) would
 * refuse the scenarios' hundreds of thousands of distinct alerts. Raised so both do the same work (the
 * limit checks still run).
 */
export const RAISED_LIMITS = `
limits:
  max_alerts: 10000000
  max_alerts_per_alertname: 10000000
  max_aggregation_groups: 10000000
`;

export interface LoadResult { alertsPerSec: number; requests: number; p50ms: number; p99ms: number }

/** The value at quantile `p` of ascending `sorted`, rounded to 0.01 (0 when empty). */
export function percentile(sorted: readonly number[], p: number): number {
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0) * 100) / 100;
}

/**
 * `clients` keep-alive clients POST `body(seq)` (each `perRequest` alerts) as fast as answered, for
 * `seconds` or `maxRequests`; any status but 200 fails the run.
 */
export async function closedLoop(
  url: string, perRequest: number, body: (seq: number) => string,
  opts: { clients: number; seconds: number; maxRequests: number },
): Promise<LoadResult> {
  const agent = new Agent({ connections: opts.clients, pipelining: 1 });
  const latencies: number[] = [];
  let seq = 0;
  const deadline = Date.now() + opts.seconds * 1000;
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: opts.clients }, async () => {
      while (Date.now() < deadline && seq < opts.maxRequests) {
        const b = body(seq++);
        const t0 = performance.now();
        const r = await request(`${url}/api/v2/alerts`, { method: "POST", body: b, headers: { "content-type": "application/json" }, dispatcher: agent });
        await r.body.dump();
        if (r.statusCode !== 200) throw new Error(`${url}: status ${r.statusCode}`);
        latencies.push(performance.now() - t0);
      }
    }));
  } finally {
    await agent.close();
  }
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { alertsPerSec: Math.round((latencies.length * perRequest) / elapsed), requests: latencies.length, p50ms: percentile(latencies, 0.5), p99ms: percentile(latencies, 0.99) };
}
