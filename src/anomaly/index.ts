/** Online anomaly detectors: pure, deterministic, bounded memory per series. */
import type { Detector } from "./detector.ts";
import { ZScoreDetector, type ZScoreOptions } from "./zscore.ts";
import { SeasonalDetector, type SeasonalOptions } from "./seasonal.ts";
import { IForestDetector, type IForestOptions } from "./iforest.ts";
import { FusedDetector, type FusedOptions } from "./fused.ts";
import { PeakOnly } from "./peaks.ts";

export type { Detector } from "./detector.ts";
export type { ZScoreOptions, SeasonalOptions, IForestOptions, FusedOptions };

export const DETECTORS = ["zscore", "seasonal", "iforest", "fused"] as const;
export type DetectorName = (typeof DETECTORS)[number];

export interface DetectorOptions {
  zscore: ZScoreOptions;
  seasonal: SeasonalOptions;
  iforest: IForestOptions;
  fused: FusedOptions;
}

export function isDetectorName(s: string): s is DetectorName {
  return (DETECTORS as readonly string[]).includes(s);
}

/**
 * A fresh detector for one series; the same options for every series. zscore, seasonal and iforest report
 * only new peaks (PeakOnly), so one event is flagged once; fused has its own suppression after a detection.
 */
export function createDetector<N extends DetectorName>(name: N, opts?: DetectorOptions[N]): Detector {
  switch (name) {
    case "zscore": return new PeakOnly(new ZScoreDetector(opts as ZScoreOptions | undefined));
    case "seasonal": return new PeakOnly(new SeasonalDetector(opts as SeasonalOptions | undefined));
    case "iforest": return new PeakOnly(new IForestDetector(opts as IForestOptions | undefined));
    case "fused": return new FusedDetector(opts as FusedOptions | undefined);
    default: throw new Error(`unknown detector ${String(name)}`);
  }
}
