import type { LabelSet } from "../types/labels.ts";
import { alertTooLargeMessage } from "./messages.ts";

/** UTF-8 bytes of the names and values of one or more label sets (what an alert holds beyond fixed fields). */
export function labelBytes(...sets: readonly LabelSet[]): number {
  let n = 0;
  for (const set of sets) {
    for (const [name, value] of Object.entries(set)) n += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  return n;
}

/**
 * Splits validated alerts into those within max_alert_size_bytes and a message for each one above it
 * (refused like an invalid alert, new or update alike). `inputIndex` follows the kept alerts.
 */
export function withinAlertSize<A extends { readonly fingerprint: string; readonly labels: LabelSet; readonly annotations: LabelSet }>(
  alerts: readonly A[], inputIndex: readonly number[], maxBytes: number,
): { kept: A[]; inputIndex: number[]; messages: string[] } {
  const kept: A[] = [];
  const keptIndex: number[] = [];
  const messages: string[] = [];
  alerts.forEach((a, i) => {
    const bytes = labelBytes(a.labels, a.annotations);
    if (bytes > maxBytes) messages.push(alertTooLargeMessage(a.labels.alertname ?? "", a.fingerprint, bytes, maxBytes));
    else {
      kept.push(a);
      keptIndex.push(inputIndex[i]!);
    }
  });
  return { kept, inputIndex: keptIndex, messages };
}
