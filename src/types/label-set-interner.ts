import type { LabelSet } from "./labels.ts";

/**
 * Hands out one shared, frozen object per distinct label set, so alerts that carry the same annotations
 * (the same rule's summary, runbook, …) hold one copy of them rather than one each. Bounded: once
 * `maxSets` distinct sets are held, it starts afresh, so sets that never repeat cannot grow it for ever.
 */
export class LabelSetInterner {
  private readonly sets = new Map<string, LabelSet>();
  private last: LabelSet | undefined;

  constructor(private readonly maxSets: number) {}

  /** The shared set equal to `set` (same names, values and name order); `set` itself, frozen, the first time. */
  intern(set: LabelSet): LabelSet {
    // Alerts of one batch mostly repeat the set before them: compared field by field, no key to build.
    if (this.last !== undefined && sameInOrder(set, this.last)) return this.last;
    const key = JSON.stringify(set);
    const held = this.sets.get(key);
    if (held !== undefined) return (this.last = held);
    if (this.sets.size >= this.maxSets) this.sets.clear();
    const shared = Object.freeze(set);
    this.sets.set(key, shared);
    return (this.last = shared);
  }

  get size(): number {
    return this.sets.size;
  }
}

/** Same names in the same order with the same values (what equal JSON.stringify keys mean). */
function sameInOrder(a: LabelSet, b: LabelSet): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || a[ka[i]!] !== b[kb[i]!]) return false;
  return true;
}
