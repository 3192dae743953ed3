import type { Alert } from "../types/alert.ts";
import { fingerprint, goQuote, isValidLabelName, sortedLabelNames, withoutEmptyValues, type LabelSet } from "../types/labels.ts";
import { addMillis, compareTime, fromMillis, isZeroTime, type Timestamp } from "../types/time.ts";

/** An alert as a client sent it, before Alertmanager's defaults. */
export interface IncomingAlert {
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAt: Timestamp | undefined;
  readonly endsAt: Timestamp | undefined;
  readonly generatorURL: string;
}

export interface NormalisedBatch {
  readonly valid: Alert[];
  /** One message per rejected alert, in input order (Alertmanager joins them with "; "). */
  readonly errors: string[];
}

/**
 * Alertmanager's POST /alerts rules: updatedAt = now; a missing startsAt becomes endsAt or now; a missing
 * endsAt becomes now + resolve_timeout (flagged as timeout); empty-valued labels are dropped; then each
 * alert is validated on its own, so valid alerts of a batch are kept when others are rejected.
 */
export function normaliseAlerts(incoming: readonly IncomingAlert[], nowMs: number, resolveTimeoutMs: number): NormalisedBatch {
  const now = fromMillis(nowMs);
  const valid: Alert[] = [];
  const errors: string[] = [];
  for (const a of incoming) {
    const endsGiven = a.endsAt !== undefined && !isZeroTime(a.endsAt);
    const startsGiven = a.startsAt !== undefined && !isZeroTime(a.startsAt);
    const startsAt = startsGiven ? a.startsAt! : endsGiven ? a.endsAt! : now;
    const endsAt = endsGiven ? a.endsAt! : addMillis(now, resolveTimeoutMs);
    const labels = withoutEmptyValues(a.labels);
    const problem = validate(labels, startsAt, endsAt);
    if (problem) {
      errors.push(problem);
      continue;
    }
    valid.push({
      fingerprint: fingerprint(labels),
      labels,
      annotations: a.annotations,
      startsAt,
      endsAt,
      updatedAt: now,
      generatorURL: a.generatorURL,
      timeout: !endsGiven,
    });
  }
  return { valid, errors };
}

function validate(labels: LabelSet, startsAt: Timestamp, endsAt: Timestamp): string | undefined {
  if (compareTime(endsAt, startsAt) < 0) return "start time must be before end time";
  // Sorted, so the reported label is deterministic (Go reports whichever its map iteration meets first).
  for (const name of sortedLabelNames(labels)) {
    if (!isValidLabelName(name)) return `invalid label set: invalid name ${goQuote(name)}`;
  }
  if (Object.keys(labels).length === 0) return "at least one label pair required";
  return undefined;
}
