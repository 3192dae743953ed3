import type { LabelSet } from "./labels.ts";

/**
 * Hands out one shared, frozen object per distinct label set, so alerts that carry the same annotations
 * (the same rule's summary, runbook, …) hold one copy of them rather than one each. Bounded: once
 * `maxSets` distinct sets are held, it starts afresh, so sets that never repeat cannot grow it for ever.
 */
export class LabelSetInterner {
  private readonly sets = new Map<string, LabelSet>();

  constructor(private readonly maxSets: number) {}

  /** The shared set equal to `set` (same names, values and name order); `set` itself, frozen, the first time. */
  intern(set: LabelSet): LabelSet {
    const key = JSON.stringify(set);
    const held = this.sets.get(key);
    if (held !== undefined) return held;
    if (this.sets.size >= this.maxSets) this.sets.clear();
    const shared = Object.freeze(set);
    this.sets.set(key, shared);
    return shared;
  }

  get size(): number {
    return this.sets.size;
  }
}
