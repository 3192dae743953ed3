import type { LabelSet } from "../types/labels.ts";
import type { Matcher } from "../types/matcher.ts";
import { matchesAll } from "../matchers/index.ts";

/** One `enrich:` rule: when every matcher matches the alert, it sets these labels (if the alert lacks them). */
export interface EnrichRule {
  /** No matchers: the rule matches any alert. */
  readonly matchers: readonly Matcher[];
  /** Label name → value; names are valid label names and values are not empty (checked at load). */
  readonly set: LabelSet;
}

/**
 * Adds labels by rule. For each label name, the first rule that matches and sets it decides its value;
 * an alert that already carries the label (with a non-empty value) keeps its own. Rules match the
 * alert's own labels only — not labels set by earlier rules, and never the time — so an alert's
 * enriched label set, and with it its fingerprint, depends on nothing but its labels.
 * An alert without labels is left alone: it is invalid and is rejected as it would be without rules.
 */
export function enrichLabels(labels: LabelSet, rules: readonly EnrichRule[]): LabelSet {
  if (rules.length === 0) return labels;
  const names = Object.keys(labels);
  if (!names.some((n) => labels[n] !== "")) return labels;
  let out: Record<string, string> | undefined;
  for (const rule of rules) {
    if (!matchesAll(rule.matchers, labels)) continue;
    for (const [name, value] of Object.entries(rule.set)) {
      const current = (out ?? labels)[name];
      // Own properties only: a label named "constructor" must not read Object.prototype.
      if (Object.hasOwn(out ?? labels, name) && current !== "") continue;
      (out ??= { ...labels })[name] = value;
    }
  }
  return out ?? labels;
}
