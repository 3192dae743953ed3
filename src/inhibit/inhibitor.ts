import type { Alert } from "../types/alert.ts";
import { isResolvedAt } from "../types/alert.ts";
import type { LabelSet } from "../types/labels.ts";
import type { InhibitRuleSpec } from "../config/alertmanager.ts";
import { matchesAll } from "../matchers/index.ts";

/**
 * One inhibit rule with an index of the alerts matching its source side, keyed by their `equal` label
 * values, so checking a target is a map lookup rather than a scan of all alerts.
 */
class InhibitRule {
  private readonly sources = new Map<string, Map<string, Alert>>();
  private readonly keyOf = new Map<string, string>();

  constructor(readonly spec: InhibitRuleSpec) {}

  private equalKey(labels: LabelSet): string {
    return JSON.stringify(this.spec.equal.map((l) => labels[l] ?? ""));
  }

  observe(alert: Alert): void {
    this.forget(alert.fingerprint);
    if (!matchesAll(this.spec.sourceMatchers, alert.labels)) return;
    const key = this.equalKey(alert.labels);
    let bucket = this.sources.get(key);
    if (!bucket) this.sources.set(key, (bucket = new Map()));
    bucket.set(alert.fingerprint, alert);
    this.keyOf.set(alert.fingerprint, key);
  }

  forget(fp: string): void {
    const key = this.keyOf.get(fp);
    if (key === undefined) return;
    const bucket = this.sources.get(key);
    bucket?.delete(fp);
    if (bucket?.size === 0) this.sources.delete(key);
    this.keyOf.delete(fp);
  }

  isSource(labels: LabelSet): boolean {
    return matchesAll(this.spec.sourceMatchers, labels);
  }

  /** The fingerprint of a firing source that inhibits `target`, if any (smallest, for stable output). */
  inhibitor(target: Alert, nowMs: number): string | undefined {
    if (!matchesAll(this.spec.targetMatchers, target.labels)) return undefined;
    const bucket = this.sources.get(this.equalKey(target.labels));
    if (!bucket) return undefined;
    // Alerts on both sides of a rule do not inhibit each other.
    const targetIsSource = matchesAll(this.spec.sourceMatchers, target.labels);
    let best: string | undefined;
    for (const src of bucket.values()) {
      if (src.fingerprint === target.fingerprint || isResolvedAt(src, nowMs)) continue;
      if (targetIsSource && matchesAll(this.spec.targetMatchers, src.labels)) continue;
      if (best === undefined || src.fingerprint < best) best = src.fingerprint;
    }
    return best;
  }
}

/** Alertmanager's inhibitor: a target is muted while a firing source with equal `equal` labels exists. */
export class Inhibitor {
  private readonly rules: InhibitRule[];

  constructor(specs: readonly InhibitRuleSpec[]) {
    this.rules = specs.map((s) => new InhibitRule(s));
  }

  observe(alert: Alert): void {
    for (const r of this.rules) r.observe(alert);
  }

  forget(fp: string): void {
    for (const r of this.rules) r.forget(fp);
  }

  /** Whether the alert can inhibit others, so a change of its firing state affects other alerts. */
  isSource(alert: Alert): boolean {
    return this.rules.some((r) => r.isSource(alert.labels));
  }

  inhibitedBy(alert: Alert, nowMs: number): string[] {
    for (const r of this.rules) {
      const fp = r.inhibitor(alert, nowMs);
      if (fp !== undefined) return [fp];
    }
    return [];
  }
}
