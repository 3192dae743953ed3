import type { LabelSet } from "../types/labels.ts";

/** UTF-8 bytes of the names and values of one or more label sets (what an alert holds beyond fixed fields). */
export function labelBytes(...sets: readonly LabelSet[]): number {
  let n = 0;
  for (const set of sets) {
    for (const [name, value] of Object.entries(set)) n += Buffer.byteLength(name) + Buffer.byteLength(value);
  }
  return n;
}
