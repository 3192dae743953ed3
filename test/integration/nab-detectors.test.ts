// The short NAB run of `npm test`: every detector over the 35-file NAB subset (test/fixtures/nab), scored
// with NAB's rules (test/nab/scorer.ts, checked against NAB's own output by nab-scorer.test.ts). It asserts
// what the detectors reach today, so a change that makes them worse fails; `npm run eval:nab` prints the
// full table beside the published detectors.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadCorpus } from "../nab/corpus.ts";
import { normalisedScores, run } from "../nab/evaluate.ts";

const corpus = loadCorpus();
const windows = corpus.reduce((n, f) => n + f.windows.length, 0);

function standard(detector: string): number {
  const { scored } = run(detector, corpus);
  const score = normalisedScores(scored, windows).find((s) => s.profile === "standard")?.score;
  assert.ok(score !== undefined);
  return score;
}

describe("anomaly detectors on NAB (35 files, standard profile)", () => {
  const scores = new Map<string, number>();
  const get = (d: string) => {
    if (!scores.has(d)) scores.set(d, standard(d));
    return scores.get(d) as number;
  };

  test("the corpus is the 35 files with their 55 windows", () => {
    assert.equal(corpus.length, 35);
    assert.equal(windows, 55);
  });

  test("zscore scores above NAB's Windowed Gaussian (21.9)", () => {
    assert.ok(get("zscore") > 21.9, `zscore ${get("zscore").toFixed(1)}`);
  });

  test("each detector scores above 25 (a floor below today's figures: seasonal 32.1, iforest 26.4)", () => {
    for (const d of ["seasonal", "iforest"]) assert.ok(get(d) > 25, `${d} ${get(d).toFixed(1)}`);
  });

  test("fused scores above each detector alone", () => {
    const fused = get("fused");
    for (const d of ["zscore", "seasonal", "iforest"]) assert.ok(fused > get(d), `fused ${fused.toFixed(1)} vs ${d} ${get(d).toFixed(1)}`);
  });
});
