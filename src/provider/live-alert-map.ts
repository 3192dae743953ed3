import type { LabelSet } from "../types/labels.ts";

interface Held {
  readonly alert: { readonly labels: LabelSet };
}

/**
 * The live set's map (fingerprint → alert) that also counts its alerts per alertname, kept exact by
 * every set and delete (rollbacks included), so the per-alertname limit needs no scan of the set.
 */
export class LiveAlertMap<T extends Held> extends Map<string, T> {
  private readonly perName = new Map<string, number>();

  override set(fingerprint: string, entry: T): this {
    // A fingerprint is a hash of the labels, so its alertname never changes: only new keys count.
    if (!this.has(fingerprint)) this.adjust(alertnameOf(entry), 1);
    return super.set(fingerprint, entry);
  }

  override delete(fingerprint: string): boolean {
    const entry = this.get(fingerprint);
    if (entry) this.adjust(alertnameOf(entry), -1);
    return super.delete(fingerprint);
  }

  override clear(): void {
    this.perName.clear();
    super.clear();
  }

  /** Alerts held with this alertname. */
  countWithName(alertname: string): number {
    return this.perName.get(alertname) ?? 0;
  }

  /** The largest number of alerts that share one alertname (for the usage gauge). */
  largestNameCount(): number {
    let max = 0;
    for (const n of this.perName.values()) if (n > max) max = n;
    return max;
  }

  private adjust(alertname: string, by: number): void {
    const n = (this.perName.get(alertname) ?? 0) + by;
    if (n > 0) this.perName.set(alertname, n);
    else this.perName.delete(alertname);
  }
}

function alertnameOf(entry: Held): string {
  return entry.alert.labels.alertname ?? "";
}
