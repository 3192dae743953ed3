import type { Alert } from "../types/alert.ts";
import { fingerprint, goQuote, hasSortedNames, isValidLabelName, sortedLabelNames, sortedLabelSet, sortedNonEmptyLabelSet, type LabelSet } from "../types/labels.ts";
import { addMillis, compareTime, fromMillis, isZeroTime, type Timestamp } from "../types/time.ts";
import { LabelSetInterner } from "../types/label-set-interner.ts";

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
  /** For each valid alert, its index in the input (so callers can pair it with what they know of that input). */
  readonly inputIndex: number[];
}

/** Alerts of one rule mostly carry the same annotations: the live set keeps one copy of each set. */
const annotationSets = new LabelSetInterner(4096);

/**
 * Alertmanager's POST /alerts rules: updatedAt = now; a missing startsAt becomes endsAt or now; a missing
 * endsAt becomes now + resolve_timeout (flagged as timeout); empty-valued labels are dropped; then each
 * alert is validated on its own, so valid alerts of a batch are kept when others are rejected.
 */
export function normaliseAlerts(incoming: readonly IncomingAlert[], nowMs: number, resolveTimeoutMs: number): NormalisedBatch {
  const now = fromMillis(nowMs);
  const valid: Alert[] = [];
  const errors: string[] = [];
  const inputIndex: number[] = [];
  for (let i = 0; i < incoming.length; i++) {
    const a = incoming[i]!;
    const endsGiven = a.endsAt !== undefined && !isZeroTime(a.endsAt);
    const startsGiven = a.startsAt !== undefined && !isZeroTime(a.startsAt);
    const startsAt = startsGiven ? a.startsAt! : endsGiven ? a.endsAt! : now;
    const endsAt = endsGiven ? a.endsAt! : addMillis(now, resolveTimeoutMs);
    // The decoders build these sets for this call alone, so one already in shape is kept, not copied.
    const labels = sortedNonEmptyLabelSet(a.labels);
    const problem = validate(labels, a.annotations, startsAt, endsAt);
    if (problem) {
      errors.push(problem);
      continue;
    }
    valid.push({
      fingerprint: fingerprint(labels),
      labels,
      annotations: annotationSets.intern(inSortedOrder(a.annotations)),
      startsAt,
      endsAt,
      updatedAt: now,
      generatorURL: a.generatorURL,
      timeout: !endsGiven,
    });
    inputIndex.push(i);
  }
  return { valid, errors, inputIndex };
}

/** `set` itself when its names are in Go's order already (the interner keys by that order), else a sorted copy. */
function inSortedOrder(set: LabelSet): LabelSet {
  return hasSortedNames(set) ? set : sortedLabelSet(set);
}

function validate(labels: LabelSet, annotations: LabelSet, startsAt: Timestamp, endsAt: Timestamp): string | undefined {
  if (compareTime(endsAt, startsAt) < 0) return "start time must be before end time";
  const badLabel = invalidName(labels);
  if (badLabel !== undefined) return `invalid label set: invalid name ${goQuote(badLabel)}`;
  if (Object.keys(labels).length === 0) return "at least one label pair required";
  // Annotations are a LabelSet in Alertmanager too: their names must be valid label names.
  const badAnnotation = invalidName(annotations);
  if (badAnnotation !== undefined) return `invalid annotations: invalid name ${goQuote(badAnnotation)}`;
  return undefined;
}

/** First invalid name in sorted order, so the report is deterministic (Go's map iteration order is not). */
function invalidName(set: LabelSet): string | undefined {
  if (Object.keys(set).every(isValidLabelName)) return undefined; // the common case needs no sort
  return sortedLabelNames(set).find((name) => !isValidLabelName(name));
}
