import { sortedLabelSet, type LabelSet } from "../types/labels.ts";

/** An alert's labels split into the ones that identify it and the replica labels that said who sent it. */
export interface DedupedLabels {
  /** The labels without the ignored ones: what the alert is fingerprinted, stored, listed and routed by. */
  readonly labels: LabelSet;
  /** The removed labels with a value (an empty value is no label, as in Alertmanager); undefined when none. */
  readonly source: LabelSet | undefined;
}

/**
 * Replica dedup: removes the labels that only tell the Prometheus servers of an HA pair apart
 * (`replica`, `prometheus_replica`, …), so both servers' copies of an alert have one fingerprint, and
 * returns the removed values as the alert's source. Labels not listed are never touched.
 */
export function removeReplicaLabels(labels: LabelSet, ignore: ReadonlySet<string>): DedupedLabels {
  let kept: Record<string, string> | undefined;
  let source: Record<string, string> | undefined;
  for (const name of Object.keys(labels)) {
    if (!ignore.has(name)) continue;
    kept ??= { ...labels };
    const value = kept[name]!;
    delete kept[name];
    if (value !== "") (source ??= {})[name] = value;
  }
  return { labels: kept ?? labels, source: source && sortedLabelSet(source) };
}
