/**
 * Runs detectors over the NAB corpus in test/fixtures/nab and scores them with NAB's rules: shared by
 * `npm run eval:nab` (test/nab/eval.ts) and the NAB regression test.
 */
import { performance } from "node:perf_hooks";
import { DETECTORS, createDetector, isDetectorName } from "../../src/anomaly/index.ts";
import type { NabFile } from "./corpus.ts";
import { PROFILES, PROFILE_NAMES, corpusRaw, normalise, optimiseThreshold, planFile, roundLikeNab, type ProfileName, type ScoredFile } from "./scorer.ts";
import { WindowedGaussian } from "./windowed-gaussian.ts";

interface OnlineDetector {
  score(timestampMs: number, value: number): number;
}

export const REFERENCE = "windowedGaussian";
export const ALL = [...DETECTORS, REFERENCE] as const;

/** A detector by name; `iforestSeed` replaces the seed of the Isolation Forest (iforest's own, fused's part) to show how much a score owes to one draw. */
export function make(name: string, iforestSeed?: number): OnlineDetector {
  if (name === REFERENCE) return new WindowedGaussian();
  if (iforestSeed !== undefined && name === "iforest") return createDetector("iforest", { seed: iforestSeed });
  if (iforestSeed !== undefined && name === "fused") return createDetector("fused", { iforest: { seed: iforestSeed } });
  if (isDetectorName(name)) return createDetector(name);
  throw new Error(`unknown detector ${name}; one of ${ALL.join(", ")}`);
}

export function run(name: string, corpus: NabFile[], iforestSeed?: number): { scored: ScoredFile[]; usPerPoint: number } {
  let points = 0;
  let ms = 0;
  const scored = corpus.map((f) => {
    const d = make(name, iforestSeed);
    const scores = new Float64Array(f.values.length);
    const t0 = performance.now();
    for (let i = 0; i < f.values.length; i++) scores[i] = d.score(f.times[i]!, f.values[i]!);
    ms += performance.now() - t0;
    points += f.values.length;
    scores.forEach((s, i) => {
      if (!(s >= 0 && s <= 1)) throw new Error(`${name} on ${f.key} row ${i + 2}: score ${s} is not in [0, 1]`);
      // As NAB does: results are stored with 12 significant digits and scored as read back.
      scores[i] = roundLikeNab(s);
    });
    return { plan: planFile(f.values.length, f.windows), scores };
  });
  return { scored, usPerPoint: (ms * 1000) / Math.max(points, 1) };
}

/** NAB's normalised score per profile, each with its own corpus-wide optimal threshold. */
export function normalisedScores(scored: readonly ScoredFile[], windows: number): Array<{ profile: ProfileName; score: number; threshold: number }> {
  return PROFILE_NAMES.map((profile) => {
    const best = optimiseThreshold(scored, PROFILES[profile]);
    return { profile, score: normalise(corpusRaw(scored, best.threshold, PROFILES[profile]), windows, PROFILES[profile]), threshold: best.threshold };
  });
}
