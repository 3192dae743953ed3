/**
 * NAB's scoring rules (Numenta Anomaly Benchmark v1.1), written from the rules described in
 * test/fixtures/nab/README.md and ../shared/datasets/nab/README.md:
 *
 * - a row is a detection when its anomaly score >= threshold;
 * - the first min(floor(0.15 N), 750) rows of a file are probationary and not scored at all;
 * - inside a window of rows L..R (W = R - L + 1) row i is worth σ(-(R - i + 1) / W) · A_TP / σ(-1);
 * - outside windows: before the first window -A_FP, after a window that ended at R' with width W'
 *   σ(|i - R'| / (W' - 1)) · A_FP;  σ(x) = 2 / (1 + e^(5x)) - 1 for x <= 3, else -1;
 * - file raw score: every false-positive detection adds its value; each window adds its best (earliest)
 *   detection's value, or -A_FN when nothing in it was detected;
 * - one threshold per detector and profile for the whole corpus: the one (among all distinct scores) that
 *   maximises the corpus raw score;
 * - normalised score: 100 · (raw - raw_null) / (raw_perfect - raw_null), raw_null = -A_FN · windows,
 *   raw_perfect = A_TP · windows.
 */
import type { RowWindow } from "./corpus.ts";

export const PROFILE_NAMES = ["standard", "reward_low_FP_rate", "reward_low_FN_rate"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** NAB's cost matrix for one application profile (config/profiles.json). A_TN is not used by the score. */
export interface Profile {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  standard: { tp: 1.0, fp: 0.11, tn: 1.0, fn: 1.0 },
  reward_low_FP_rate: { tp: 1.0, fp: 0.22, tn: 1.0, fn: 1.0 },
  reward_low_FN_rate: { tp: 1.0, fp: 0.11, tn: 1.0, fn: 2.0 },
};

/** NAB's scaled sigmoid: 2 / (1 + e^(5x)) - 1, and -1 beyond x = 3. */
export function scaledSigmoid(x: number): number {
  if (x > 3) return -1;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

const MAX_TP = scaledSigmoid(-1);

export function probationLength(rows: number): number {
  return Math.min(Math.floor(0.15 * rows), 0.15 * 5000);
}

/**
 * What a file's labels make of each scored row, independent of detector and profile: the window it lies in
 * (or -1) and its unweighted sweep value (σ of its position). Rows in probation are not listed.
 */
export interface RowPlan {
  rows: number;
  probation: number;
  windows: RowWindow[];
  /** Window index per row (-1 outside, -2 probationary). */
  windowOf: Int32Array;
  /** Unweighted value per row: σ(position) inside a window, σ(distance past the last window) or -1 outside. */
  unweighted: Float64Array;
}

export function planFile(rows: number, windows: readonly RowWindow[]): RowPlan {
  const probation = probationLength(rows);
  const windowOf = new Int32Array(rows).fill(-1);
  const unweighted = new Float64Array(rows);
  let w = 0;
  let prev: RowWindow | null = null;
  for (let i = 0; i < rows; i++) {
    while (w < windows.length && windows[w]!.end < i) prev = windows[w++]!;
    const cur = windows[w];
    if (cur && cur.start <= i) {
      const width = cur.end - cur.start + 1;
      windowOf[i] = w;
      unweighted[i] = scaledSigmoid(-(cur.end - i + 1) / width);
    } else if (prev) {
      unweighted[i] = scaledSigmoid(Math.abs(i - prev.end) / (prev.end - prev.start + 1 - 1));
    } else {
      unweighted[i] = -1;
    }
    if (i < probation) windowOf[i] = -2;
  }
  return { rows, probation, windows: [...windows], windowOf, unweighted };
}

/** The weighted value of a detection at row i under a profile. */
export function rowValue(plan: RowPlan, i: number, p: Profile): number {
  const w = plan.windowOf[i]!;
  if (w === -2) return 0;
  return w >= 0 ? (plan.unweighted[i]! * p.tp) / MAX_TP : plan.unweighted[i]! * p.fp;
}

export interface FileScore {
  score: number;
  /** Detected rows inside windows, detected rows outside, undetected rows outside, undetected rows inside (after probation). */
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** Per window: the value it added (its best detection, or -A_FN) and the row of that detection (-1 when missed). */
  windows: Array<{ value: number; row: number }>;
  /** Rows whose false-positive value was added, with that value. */
  falsePositives: Array<{ row: number; value: number }>;
}

/** Scores one file's per-row anomaly scores at a fixed threshold. */
export function scoreFile(plan: RowPlan, scores: ArrayLike<number>, threshold: number, p: Profile): FileScore {
  if (scores.length !== plan.rows) throw new Error(`expected ${plan.rows} scores, got ${scores.length}`);
  const windows = plan.windows.map(() => ({ value: -p.fn, row: -1 }));
  const falsePositives: FileScore["falsePositives"] = [];
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = plan.probation; i < plan.rows; i++) {
    const w = plan.windowOf[i]!;
    const detected = scores[i]! >= threshold;
    if (w >= 0) {
      if (!detected) {
        fn++;
        continue;
      }
      tp++;
      const v = rowValue(plan, i, p);
      const win = windows[w]!;
      if (win.row < 0 || v > win.value) {
        win.value = v;
        win.row = i;
      }
    } else if (detected) {
      fp++;
      falsePositives.push({ row: i, value: rowValue(plan, i, p) });
    } else {
      tn++;
    }
  }
  let score = 0;
  for (const f of falsePositives) score += f.value;
  for (const w of windows) score += w.value;
  return { score, tp, fp, tn, fn, windows, falsePositives };
}

export interface ScoredFile {
  plan: RowPlan;
  scores: ArrayLike<number>;
}

export interface ThresholdResult {
  /** The chosen threshold; +Infinity when detecting nothing scores best. */
  threshold: number;
  /** Corpus raw score at that threshold. */
  raw: number;
  windows: number;
}

/**
 * NAB's threshold optimisation: one threshold for the whole corpus, the distinct score value that maximises
 * the summed raw score (ties go to the higher threshold). All scored rows of all files are swept from the
 * highest anomaly score down, so each distinct threshold costs O(1) on top of one sort.
 */
export function optimiseThreshold(files: readonly ScoredFile[], p: Profile): ThresholdResult {
  let n = 0;
  let windowCount = 0;
  for (const f of files) n += f.plan.rows - f.plan.probation;
  const score = new Float64Array(n);
  const value = new Float64Array(n);
  const win = new Int32Array(n);
  let k = 0;
  for (const f of files) {
    for (let i = f.plan.probation; i < f.plan.rows; i++, k++) {
      score[k] = f.scores[i]!;
      value[k] = rowValue(f.plan, i, p);
      const w = f.plan.windowOf[i]!;
      win[k] = w >= 0 ? windowCount + w : -1;
    }
    windowCount += f.plan.windows.length;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]!);
  const best = new Float64Array(windowCount);
  const hit = new Uint8Array(windowCount);
  let total = -p.fn * windowCount;
  let result: ThresholdResult = { threshold: Number.POSITIVE_INFINITY, raw: total, windows: windowCount };
  for (let j = 0; j < n; ) {
    const t = score[order[j]!]!;
    for (; j < n && score[order[j]!]! === t; j++) {
      const r = order[j]!;
      const w = win[r]!;
      if (w < 0) total += value[r]!;
      else if (!hit[w]) {
        hit[w] = 1;
        best[w] = value[r]!;
        total += value[r]! + p.fn;
      } else if (value[r]! > best[w]!) {
        total += value[r]! - best[w]!;
        best[w] = value[r]!;
      }
    }
    if (total > result.raw) result = { threshold: t, raw: total, windows: windowCount };
  }
  return result;
}

/** NAB's normalised score: 0 for the detector that never detects, 100 for one detection at each window start. */
export function normalise(raw: number, windows: number, p: Profile): number {
  const nullRaw = -p.fn * windows;
  const perfectRaw = p.tp * windows;
  if (perfectRaw === nullRaw) return 0;
  return (100 * (raw - nullRaw)) / (perfectRaw - nullRaw);
}

/** The corpus raw score at one threshold, summed file by file (the exact value of a threshold the optimiser picked). */
export function corpusRaw(files: readonly ScoredFile[], threshold: number, p: Profile): number {
  let raw = 0;
  for (const f of files) raw += scoreFile(f.plan, f.scores, threshold, p).score;
  return raw;
}

/**
 * NAB writes detector output to CSV with 12 significant digits (Python 2's str(float)) and scores what it
 * reads back, so a score of 0.9999999999999962 is a detection at threshold 1.0. Apply this to reproduce NAB.
 */
export function roundLikeNab(score: number): number {
  return Number(score.toPrecision(12));
}
