/** Online anomaly detectors: pure, deterministic, bounded memory per series. */
import type { Detector } from "./detector.ts";
import { ZScoreDetector, type ZScoreOptions } from "./zscore.ts";
import { SeasonalDetector, type SeasonalOptions } from "./seasonal.ts";
import { IForestDetector, type IForestOptions } from "./iforest.ts";
import { FusedDetector, type FusedOptions } from "./fused.ts";
import { PeakOnly } from "./peaks.ts";
import { recordConfig } from "./snapshot.ts";

export type { Detector } from "./detector.ts";
export type { ZScoreOptions, SeasonalOptions, IForestOptions, FusedOptions };
export { restoreDetector, snapshotDetector, SnapshotMismatchError } from "./snapshot.ts";

export const DETECTORS = ["zscore", "seasonal", "iforest", "fused"] as const;
export type DetectorName = (typeof DETECTORS)[number];

/**
 * "flag-once": one event is flagged once (PeakOnly, fused's suppression), what NAB scores and a one-shot
 * alert wants. "ongoing": every point of a lasting anomaly keeps scoring high, for an alert rule with a
 * `for:` duration, which must see the condition hold on each evaluation.
 */
export const DETECTOR_MODES = ["flag-once", "ongoing"] as const;
export type DetectorMode = (typeof DETECTOR_MODES)[number];

export interface DetectorOptions {
  zscore: ZScoreOptions;
  seasonal: SeasonalOptions;
  iforest: IForestOptions;
  fused: FusedOptions;
}

export function isDetectorName(s: string): s is DetectorName {
  return (DETECTORS as readonly string[]).includes(s);
}

export function isDetectorMode(s: string): s is DetectorMode {
  return (DETECTOR_MODES as readonly string[]).includes(s);
}

/**
 * A fresh detector for one series; the same options for every series. In "flag-once" mode (the default)
 * zscore, seasonal and iforest report only new peaks (PeakOnly) and fused has its own suppression after a
 * detection; in "ongoing" mode they are the raw detectors and fused runs with `suppress: 0`.
 */
export function createDetector<N extends DetectorName>(name: N, opts?: DetectorOptions[N], mode: DetectorMode = "flag-once"): Detector {
  if (!isDetectorMode(mode)) throw new Error(`unknown detector mode ${String(mode)}`);
  const once = mode === "flag-once";
  const peaks = (d: Detector) => (once ? new PeakOnly(d) : d);
  let d: Detector;
  switch (name) {
    case "zscore": d = peaks(new ZScoreDetector(opts as ZScoreOptions | undefined)); break;
    case "seasonal": d = peaks(new SeasonalDetector(opts as SeasonalOptions | undefined)); break;
    case "iforest": d = peaks(new IForestDetector(opts as IForestOptions | undefined)); break;
    case "fused": d = new FusedDetector(once ? (opts as FusedOptions | undefined) : { ...(opts as FusedOptions | undefined), suppress: 0 }); break;
    default: throw new Error(`unknown detector ${String(name)}`);
  }
  // So a snapshot is restored only into a detector built the same way (see snapshot.ts).
  recordConfig(d, { name, mode, opts: opts ?? {} });
  return d;
}
