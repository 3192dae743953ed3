import type { LabelSet } from "../types/labels.ts";

/** A firing/resolved change of an alert, as the provider reports it and history records it. */
export interface AlertChange {
  readonly fingerprint: string;
  readonly labels: LabelSet;
  readonly to: "firing" | "resolved";
  readonly atMs: number;
}
