/**
 * `BENCH_ONLY=anomaly npm run bench` (or `node --import tsx bench/anomaly.ts`): the per-point cost of each
 * online anomaly detector over a synthetic 5-minute series (daily sine, noise, a few spikes and shifts).
 * Prints µs/point; asserts nothing. Targets (issue 11): < 20 µs per detector, < 100 µs fused.
 */
import { createDetector, DETECTORS, type DetectorName } from "../src/anomaly/index.ts";

const POINTS = Number(process.env.BENCH_ANOMALY_POINTS ?? 200_000);

function series(n: number): Float64Array {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const xs = new Float64Array(n);
  for (let i = 0; i < n; i++) xs[i] = 100 + 30 * Math.sin((2 * Math.PI * i) / 288) + 5 * (rnd() - 0.5) + (i % 5000 === 0 ? 80 : 0) + (i % 40000 > 30000 ? 25 : 0);
  return xs;
}

export function anomalyScenario(points = POINTS): Record<DetectorName, number> {
  const xs = series(points);
  const t0 = Date.UTC(2024, 0, 1);
  const out = {} as Record<DetectorName, number>;
  for (const name of DETECTORS) {
    const warm = createDetector(name);
    for (let i = 0; i < 5000; i++) warm.score(t0 + i * 300_000, xs[i]!); // let the JIT settle
    const d = createDetector(name);
    let sink = 0;
    const start = performance.now();
    for (let i = 0; i < points; i++) sink += d.score(t0 + i * 300_000, xs[i]!);
    const us = ((performance.now() - start) * 1000) / points;
    if (!Number.isFinite(sink)) throw new Error("non-finite score");
    out[name] = Math.round(us * 100) / 100;
  }
  return out;
}

export function printAnomaly(r: Record<DetectorName, number>): void {
  console.log(`\nanomaly detectors, ${POINTS} points each (µs/point; targets < 20, fused < 100)`);
  for (const [name, us] of Object.entries(r)) console.log(`  ${name.padEnd(10)} ${us.toFixed(2).padStart(8)}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = anomalyScenario();
  printAnomaly(r);
  console.log("\n" + JSON.stringify({ date: new Date().toISOString(), anomaly: r }, null, 2));
}
