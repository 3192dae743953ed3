/**
 * `npm run eval:nab [-- --detector=fused,zscore] [-- --files='realKnownCause/*'] [-- --seeds=1-6]`
 *
 * Runs each detector over the NAB subset in test/fixtures/nab (a fresh detector per file, rows in file
 * order) and prints NAB's normalised scores for the three profiles, each with its own corpus-wide optimal
 * threshold, next to the published scores of other detectors on the same 35 files. With `--seeds`, it
 * then reruns iforest and fused (if selected) with each of those Isolation Forest seeds instead of the
 * shipped one, so a score that owes much to one lucky draw shows.
 */
import { loadCorpus } from "./corpus.ts";
import { PROFILES, PROFILE_NAMES, corpusRaw, normalise } from "./scorer.ts";
import { ALL, REFERENCE, normalisedScores, run } from "./evaluate.ts";

/** Published NAB scores on these 35 files (standard / low-FP / low-FN), from the dataset's README. */
const PUBLISHED: Array<[string, number, number, number]> = [
  ["ARTime", 67.5, 56.6, 73.5],
  ["Numenta HTM", 66.5, 60.0, 71.0],
  ["CAD OSE", 61.2, 56.9, 66.3],
  ["Random Cut Forest", 48.0, 31.7, 55.2],
  ["Twitter ADVec", 36.2, 22.8, 42.9],
  ["Windowed Gaussian", 21.9, 4.9, 29.2],
];

function parseSeeds(spec: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(spec);
  const seeds = range ? Array.from({ length: Math.max(0, Number(range[2]) - Number(range[1]) + 1) }, (_, i) => Number(range[1]) + i) : spec.split(",").map(Number);
  if (seeds.length === 0 || seeds.length > 100 || !seeds.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new Error(`--seeds=${spec}: give a range such as 1-6 or a list such as 1,2,3 (at most 100)`);
  return seeds;
}

function parseArgs(argv: string[]): { detectors: string[]; files: string | undefined; seeds: number[] } {
  let detectors: string[] = [...ALL];
  let files: string | undefined;
  let seeds: number[] = [];
  for (const a of argv) {
    const m = /^--(detector|detectors|files|seeds)=(.*)$/.exec(a);
    if (!m) throw new Error(`unknown argument ${a}; use --detector=name[,name], --files=glob and --seeds=1-6`);
    if (m[1] === "files") files = m[2];
    else if (m[1] === "seeds") seeds = parseSeeds(m[2]!);
    else detectors = m[2]!.split(",").filter((s) => s !== "");
  }
  for (const d of detectors) if (!(ALL as readonly string[]).includes(d)) throw new Error(`unknown detector ${d}; one of ${ALL.join(", ")}`);
  return { detectors, files, seeds };
}

const pad = (s: string, n: number): string => s.padEnd(n);
const num = (x: number): string => x.toFixed(1).padStart(8);

function main(): void {
  const { detectors, files, seeds } = parseArgs(process.argv.slice(2));
  const corpus = loadCorpus(files);
  if (corpus.length === 0) throw new Error(`no NAB file matches ${files}`);
  const windows = corpus.reduce((n, f) => n + f.windows.length, 0);
  const rows = corpus.reduce((n, f) => n + f.values.length, 0);
  console.log(`NAB scores on ${corpus.length} files, ${rows} rows, ${windows} windows (test/fixtures/nab)${files ? `, files=${files}` : ""}`);
  console.log("Each profile uses its own corpus-wide threshold chosen to maximise the raw score, as NAB does.\n");
  console.log(`${pad("detector", 38)}${"standard".padStart(8)}${"low-FP".padStart(8)}${"low-FN".padStart(8)}   thresholds (std / low-FP / low-FN)                    µs/point`);
  for (const name of detectors) {
    const { scored, usPerPoint } = run(name, corpus);
    const res = normalisedScores(scored, windows);
    const thr = res.map((r) => (Number.isFinite(r.threshold) ? String(Number(r.threshold.toPrecision(12))) : "none")).join(" / ");
    console.log(`${pad(name, 38)}${res.map((r) => num(r.score)).join("")}   ${pad(thr, 52)}${usPerPoint.toFixed(2).padStart(9)}`);
    if (name === REFERENCE) {
      // NAB's own corpus-wide threshold for windowedGaussian is 1.0 under every profile.
      const fixed = PROFILE_NAMES.map((p) => normalise(corpusRaw(scored, 1.0, PROFILES[p]), windows, PROFILES[p]));
      console.log(`${pad(`${name} @ NAB's threshold 1`, 38)}${fixed.map(num).join("")}   1 / 1 / 1`);
    }
  }
  console.log(`\nPublished (NAB's per-file results, corpus-wide thresholds, normalised over these 35 files):`);
  for (const [name, s, fp, fn] of PUBLISHED) console.log(`${pad(name, 38)}${num(s)}${num(fp)}${num(fn)}`);
  if (files) console.log("(published scores are for all 35 files, not comparable with a subset)");
  const seeded = detectors.filter((d) => d === "iforest" || d === "fused");
  if (seeds.length > 0 && seeded.length > 0) {
    console.log(`\nStandard profile with other Isolation Forest seeds (${seeds.join(", ")}):`);
    for (const name of seeded) {
      const got = seeds.map((seed) => normalisedScores(run(name, corpus, seed).scored, windows).find((r) => r.profile === "standard")!.score);
      const mean = got.reduce((a, b) => a + b, 0) / got.length;
      console.log(`${pad(name, 38)}${got.map((g) => g.toFixed(1)).join(" ")}   mean ${mean.toFixed(1)}, lowest ${Math.min(...got).toFixed(1)}`);
    }
  }
}

try {
  main();
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(2);
}
