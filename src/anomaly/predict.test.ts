import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { predictCrossing, type Prediction, type Sample } from "./predict.ts";
import { mulberry32 } from "./stats.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const STEP = 5 * MIN;
const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);
const HORIZON = 30 * DAY;

// ---------------------------------------------------------------------------------------------------
// Reference: Prometheus's predict_linear, ported from promql/functions.go (linearRegression with the
// intercept at the evaluation time, Kahan–Neumaier sums). Its crossing is where intercept + slope·d
// reaches the threshold.

function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (!Number.isFinite(t)) return [t, 0];
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

function promLinearRegression(samples: readonly Sample[], interceptTimeMs: number): { slope: number; intercept: number } {
  let n = 0;
  let sumX = 0, cX = 0, sumY = 0, cY = 0, sumXY = 0, cXY = 0, sumX2 = 0, cX2 = 0;
  const initY = samples[0]![1];
  let constY = true;
  samples.forEach(([t, v], i) => {
    if (constY && i > 0 && v !== initY) constY = false;
    n += 1;
    const x = (t - interceptTimeMs) / 1e3;
    [sumX, cX] = kahanInc(x, sumX, cX);
    [sumY, cY] = kahanInc(v, sumY, cY);
    [sumXY, cXY] = kahanInc(x * v, sumXY, cXY);
    [sumX2, cX2] = kahanInc(x * x, sumX2, cX2);
  });
  if (constY) return Number.isFinite(initY) ? { slope: 0, intercept: initY } : { slope: NaN, intercept: NaN };
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  return { slope, intercept: sumY / n - (slope * sumX) / n };
}

/** Time from now until predict_linear's line reaches the threshold (undefined: never within the horizon). */
function predictLinearRemaining(samples: readonly Sample[], nowMs: number, threshold: number, direction: "falling" | "rising"): number | undefined {
  const { slope, intercept } = promLinearRegression(samples, nowMs);
  const past = direction === "falling" ? intercept <= threshold : intercept >= threshold;
  if (past) return 0;
  if (!(slope !== 0) || !Number.isFinite(slope)) return undefined;
  const d = ((threshold - intercept) / slope) * 1000;
  return d > 0 && d <= HORIZON ? d : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Synthetic series with known crossings.

const rng = mulberry32;

function gaussian(r: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

interface Shape {
  name: string;
  /** Noise-free signal. */
  signal(tMs: number): number;
  sigma: number;
  threshold: number;
  /** Where the ramp towards the threshold starts and when the signal truly crosses (undefined: never). */
  rampStartMs: number;
  crossingMs: number | undefined;
  /** Evaluation times. */
  evalAt: number[];
  /** For "ramp that stops": the would-be crossing used before the stop is visible. */
  expectedRemaining(nowMs: number): number | undefined;
}

/** First time ≥ from where the noise-free signal is at or below the threshold (1 s resolution). */
function trueCrossing(signal: (t: number) => number, threshold: number, from: number, to: number): number | undefined {
  let prev = from;
  for (let t = from; t <= to; t += MIN) {
    if (signal(t) <= threshold) {
      let lo = prev;
      let hi = t;
      while (hi - lo > 1000) {
        const mid = (lo + hi) / 2;
        if (signal(mid) <= threshold) hi = mid;
        else lo = mid;
      }
      return hi;
    }
    prev = t;
  }
  return undefined;
}

const fractions = [0.25, 0.5, 0.75, 0.9];

function rampShape(name: string, signal: (t: number) => number, sigma: number, rampStartMs: number, rampEndGuessMs: number): Shape {
  const crossingMs = trueCrossing(signal, 0, rampStartMs, rampEndGuessMs + 10 * DAY);
  assert.ok(crossingMs !== undefined, name);
  return {
    name,
    signal,
    sigma,
    threshold: 0,
    rampStartMs,
    crossingMs,
    evalAt: fractions.map((f) => Math.round(rampStartMs + f * (crossingMs - rampStartMs))),
    expectedRemaining: (now) => crossingMs - now,
  };
}

const SEASON_PHASE = 1.3;
const STOP_AT = T0 + 2 * DAY;

const shapes: Shape[] = [
  rampShape("linear", (t) => 100 - (100 * (t - T0)) / (4 * DAY), 0, T0, T0 + 4 * DAY),
  rampShape("noisy linear", (t) => 100 - (100 * (t - T0)) / (4 * DAY), 3, T0, T0 + 4 * DAY),
  rampShape(
    "linear + daily season",
    (t) => 100 - (100 * (t - T0)) / (12 * DAY) + 8 * Math.sin((2 * Math.PI * (t - T0)) / DAY + SEASON_PHASE),
    1,
    T0,
    T0 + 12 * DAY,
  ),
  rampShape("level shift, then linear", (t) => (t < T0 + 2 * DAY ? 100 : 70 - (70 * (t - T0 - 2 * DAY)) / (2 * DAY)), 1, T0 + 2 * DAY, T0 + 4 * DAY),
  {
    // Falls 25/day from 100 towards 0 (would cross at T0 + 4 d) but stops at 50 after 2 days and stays.
    // Expected answer: before the stop, the ramp's own crossing (nothing else is knowable); from 3 hours
    // after the stop on, no crossing at all within the horizon (the true answer: it never crosses).
    name: "ramp that stops",
    signal: (t) => (t < STOP_AT ? 100 - (25 * (t - T0)) / DAY : 50),
    sigma: 1,
    threshold: 0,
    rampStartMs: T0,
    crossingMs: undefined,
    evalAt: [T0 + DAY, STOP_AT + 3 * HOUR, STOP_AT + 6 * HOUR, STOP_AT + DAY, STOP_AT + 2 * DAY],
    expectedRemaining: (now) => (now < STOP_AT ? T0 + 4 * DAY - now : undefined),
  },
];

function series(shape: Shape, nowMs: number, seed: number): Sample[] {
  const g = gaussian(rng(seed));
  const out: Sample[] = [];
  for (let t = T0; t <= nowMs; t += STEP) out.push([t, shape.signal(t) + shape.sigma * g()]);
  return out;
}

/** Relative error of a predicted remaining time; a missed crossing or a false alarm counts as 100 %. */
function relError(predicted: number | undefined, expected: number | undefined): number {
  if (expected === undefined) return predicted === undefined ? 0 : 1;
  if (predicted === undefined) return 1;
  return Math.abs(predicted - expected) / expected;
}

function fmtDur(ms: number | undefined): string {
  if (ms === undefined) return "none";
  const h = ms / HOUR;
  return h >= 48 ? `${(h / 24).toFixed(2)}d` : `${h.toFixed(1)}h`;
}

interface Row {
  shape: string;
  at: string;
  expected: number | undefined;
  ours: number | undefined;
  promql: number | undefined;
  errOurs: number;
  errProm: number;
  prediction: Prediction;
}

function evaluate(shape: Shape, seed: number): Row[] {
  return shape.evalAt.map((now) => {
    const samples = series(shape, now, seed);
    const p = predictCrossing(samples, { threshold: shape.threshold, maxHorizonMs: HORIZON, nowMs: now });
    const expected = shape.expectedRemaining(now);
    const promql = predictLinearRemaining(samples, now, shape.threshold, "falling");
    const at = shape.crossingMs !== undefined ? `${Math.round(((now - shape.rampStartMs) / (shape.crossingMs - shape.rampStartMs)) * 100)}% of ramp` : `${now < STOP_AT ? "-" : "+"}${fmtDur(Math.abs(now - STOP_AT))} from stop`;
    return { shape: shape.name, at, expected, ours: p.timeToThresholdMs, promql, errOurs: relError(p.timeToThresholdMs, expected), errProm: relError(promql, expected), prediction: p };
  });
}

function table(rows: Row[]): string[] {
  const pct = (e: number): string => `${(e * 100).toFixed(2)}%`;
  const lines = [`${"shape".padEnd(26)}${"evaluated at".padEnd(22)}${"true".padStart(8)}${"AlertPrism".padStart(12)}${"err".padStart(9)}${"predict_linear".padStart(16)}${"err".padStart(9)}`];
  for (const r of rows) {
    lines.push(
      `${r.shape.padEnd(26)}${r.at.padEnd(22)}${fmtDur(r.expected).padStart(8)}${fmtDur(r.ours).padStart(12)}${pct(r.errOurs).padStart(9)}${fmtDur(r.promql).padStart(16)}${pct(r.errProm).padStart(9)}`,
    );
  }
  return lines;
}

describe("failure prediction on synthetic series", () => {
  test("within 10 % of the true remaining time and at least as accurate as predict_linear on every shape", (t) => {
    const rows = shapes.flatMap((s) => evaluate(s, 42));
    for (const line of table(rows)) t.diagnostic(line);
    for (const r of rows) {
      t.diagnostic(`${r.shape}, ${r.at}: ${r.prediction.outcome}, ${r.prediction.confidence} confidence, ${r.prediction.samplesUsed} samples; ${r.prediction.notes.join("; ")}`);
      assert.ok(r.errOurs <= 0.1, `${r.shape} at ${r.at}: error ${r.errOurs} (predicted ${fmtDur(r.ours)}, true ${fmtDur(r.expected)}) ${r.prediction.notes.join("; ")}`);
      assert.ok(r.errOurs <= r.errProm + 1e-9, `${r.shape} at ${r.at}: ${r.errOurs} > predict_linear ${r.errProm}`);
    }
  });

  test("the same holds for 100 noise seeds on every noisy shape", (t) => {
    const seeds = Number(process.env.PREDICT_SEEDS ?? 100);
    for (const shape of shapes.filter((s) => s.sigma > 0)) {
      let worst = 0;
      let worstProm = 0;
      let ties = 0;
      let wins = 0;
      const losses: string[] = [];
      for (let seed = 1; seed <= seeds; seed++) {
        for (const r of evaluate(shape, seed)) {
          worst = Math.max(worst, r.errOurs);
          worstProm = Math.max(worstProm, r.errProm);
          if (Math.abs(r.errOurs - r.errProm) <= 1e-9) ties++;
          else if (r.errOurs < r.errProm) wins++;
          else losses.push(`seed ${seed} ${r.at}: ${(r.errOurs * 100).toFixed(2)}% vs ${(r.errProm * 100).toFixed(2)}%, predicted ${fmtDur(r.ours)} (${r.prediction.notes.join("; ")})`);
          if (r.errOurs > 0.1) losses.push(`seed ${seed} ${r.at}: ${(r.errOurs * 100).toFixed(2)}% > 10%, predicted ${fmtDur(r.ours)} vs predict_linear ${fmtDur(r.promql)} (${r.prediction.notes.join("; ")})`);
        }
      }
      t.diagnostic(`${shape.name}: ${seeds} seeds × ${shape.evalAt.length} points: AlertPrism better ${wins}, tied ${ties}, worse ${losses.length}; worst error AlertPrism ${(worst * 100).toFixed(2)}%, predict_linear ${(worstProm * 100).toFixed(2)}%`);
      for (const l of losses.slice(0, 10)) t.diagnostic(`  ${l}`);
      assert.deepEqual(losses, [], shape.name);
    }
  });
});

describe("prediction details", () => {
  const line = (n: number, f: (k: number) => number): Sample[] => Array.from({ length: n }, (_, k) => [T0 + k * STEP, f(k)] as const);

  test("spikes are screened out; predict_linear is pulled by them", (t) => {
    const g = gaussian(rng(7));
    // 100 → 0 over 4 days, seen for 1 day, with ten downward spikes of −60 in its last 3 hours (a glitch reading low).
    const samples = line(289, (k) => 100 - (100 * k) / 1152 + g() - (k >= 250 && k % 4 === 0 ? 60 : 0));
    const now = T0 + 288 * STEP;
    const p = predictCrossing(samples, { threshold: 0, nowMs: now });
    const promql = predictLinearRemaining(samples, now, 0, "falling");
    const expected = 3 * DAY;
    t.diagnostic(`spiky linear: true ${fmtDur(expected)}, AlertPrism ${fmtDur(p.timeToThresholdMs)} (${p.outliers} spikes ignored), predict_linear ${fmtDur(promql)}`);
    assert.equal(p.outliers, 10);
    assert.ok(relError(p.timeToThresholdMs, expected) <= 0.02);
    assert.ok(relError(p.timeToThresholdMs, expected) < relError(promql, expected));
  });

  test("a rising series (direction inferred) and an explicit direction", () => {
    const samples = line(100, (k) => 10 + k);
    const now = T0 + 99 * STEP;
    const p = predictCrossing(samples, { threshold: 209 });
    assert.equal(p.direction, "rising");
    assert.equal(p.outcome, "crossing");
    assert.ok(Math.abs(p.timeToThresholdMs! - 100 * STEP) < 1);
    assert.ok(Math.abs(p.slopePerSecond - 1 / 300) < 1e-12);
    assert.ok(Math.abs(p.level - 109) < 1e-9);
    assert.ok(Math.abs(p.expectedAt(now + 10 * STEP) - 119) < 1e-9);
    assert.equal(predictCrossing(samples, { threshold: 5, direction: "falling" }).outcome, "moving-away");
  });

  test("already past the threshold, beyond the horizon, flat", () => {
    // Past the threshold is only recognisable with an explicit direction (inferred, it is the side the series is on).
    const past = predictCrossing(line(50, (k) => 10 - k), { threshold: 0, direction: "falling" });
    assert.equal(past.outcome, "crossed");
    assert.equal(past.timeToThresholdMs, 0);
    assert.equal(predictCrossing(line(50, (k) => 10 - k), { threshold: 0 }).outcome, "moving-away");
    const slow = predictCrossing(line(50, (k) => 1000 - k), { threshold: 0, maxHorizonMs: DAY });
    assert.equal(slow.outcome, "beyond-horizon");
    assert.equal(slow.etaMs, undefined);
    assert.equal(predictCrossing(line(50, () => 5), { threshold: 0 }).outcome, "no-trend");
  });

  test("unsorted input, duplicate timestamps and non-finite values", () => {
    const clean = line(60, (k) => 100 - k);
    const messy: Sample[] = [...clean].reverse();
    messy.push([T0 + 10 * STEP, 12345], [T0 + 10 * STEP, 90], [T0 + 11 * STEP, Number.NaN], [Number.NaN, 3]);
    const a = predictCrossing(clean, { threshold: 0 });
    const b = predictCrossing(messy, { threshold: 0 });
    assert.equal(b.samplesUsed, 60);
    assert.ok(Math.abs(a.etaMs! - b.etaMs!) < 1);
  });

  test("too few samples", () => {
    const p = predictCrossing(line(3, (k) => 10 - k), { threshold: 0 });
    assert.equal(p.outcome, "insufficient-data");
    assert.equal(p.etaMs, undefined);
  });

  test("deterministic", () => {
    const s = series(shapes[2]!, shapes[2]!.evalAt[1]!, 3);
    const a = predictCrossing(s, { threshold: 0 });
    const b = predictCrossing(s, { threshold: 0 });
    assert.deepEqual({ ...a, expectedAt: 0 }, { ...b, expectedAt: 0 });
  });
});
