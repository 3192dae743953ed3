import type { LabelSet } from "../types/labels.ts";
import type { Matcher } from "../types/matcher.ts";

/**
 * Storm mode, per receiver (`noise.storm`): when `enter.new_alerts` alerts start firing for one receiver
 * within `enter.within`, its group notifications are held (except for `bypass` alerts) and the receiver
 * gets one summary instead; the storm ends once fewer than `exit.below` alerts have started per minute,
 * `exit.for` in a row. The thresholds differ (hysteresis), so a storm does not end and re-open on every
 * alert. The decisions here are pure functions over a bounded count of starts.
 */

export interface StormConfig {
  readonly enterNewAlerts: number;
  readonly enterWithinMs: number;
  readonly exitBelow: number;
  readonly exitForMs: number;
  readonly summaryIntervalMs: number;
  /** Alerts matching any of these (each a list of matchers that must all match) still notify as usual. */
  readonly bypass: ReadonlyArray<readonly Matcher[]>;
}

const SECOND = 1000;
export const MINUTE = 60 * SECOND;

/** Alert starts per second over a bounded horizon: memory does not grow with the size of a storm. */
export class StartCounter {
  /** [second, count], ascending by second. */
  private readonly buckets: Array<[number, number]> = [];

  constructor(private readonly horizonMs: number) {}

  add(atMs: number, n = 1): void {
    const second = Math.floor(atMs / SECOND);
    const last = this.buckets[this.buckets.length - 1];
    if (last !== undefined && last[0] === second) last[1] += n;
    else if (last === undefined || last[0] < second) this.buckets.push([second, n]);
    else this.insertLate(second, n);
    this.prune(atMs);
  }

  /** Starts in (fromMs, toMs], to the second. */
  count(fromMs: number, toMs: number): number {
    const from = Math.floor(fromMs / SECOND);
    const to = Math.floor(toMs / SECOND);
    let n = 0;
    for (const [s, c] of this.buckets) if (s > from && s <= to) n += c;
    return n;
  }

  prune(nowMs: number): void {
    const oldest = Math.floor((nowMs - this.horizonMs) / SECOND);
    let k = 0;
    while (k < this.buckets.length && (this.buckets[k] as [number, number])[0] <= oldest) k++;
    if (k > 0) this.buckets.splice(0, k);
  }

  /** A start reported out of order (replayed history): kept in its own second. */
  private insertLate(second: number, n: number): void {
    const i = this.buckets.findIndex(([s]) => s >= second);
    const at = this.buckets[i] as [number, number];
    if (at[0] === second) at[1] += n;
    else this.buckets.splice(i, 0, [second, n]);
  }
}

/** How far back the counts must reach for both decisions. */
export function counterHorizonMs(cfg: StormConfig): number {
  return Math.max(cfg.enterWithinMs, cfg.exitForMs) + MINUTE;
}

/** Whether the receiver enters a storm at `nowMs`: enough starts within the enter window. */
export function entersStorm(starts: StartCounter, nowMs: number, cfg: StormConfig): boolean {
  return starts.count(nowMs - cfg.enterWithinMs, nowMs) >= cfg.enterNewAlerts;
}

/**
 * Whether a storm that began at `startedMs` ends at `nowMs`: in each of the last `exit.for` minutes
 * fewer than `exit.below` alerts started (so it lasts at least `exit.for`).
 */
export function exitsStorm(starts: StartCounter, startedMs: number, nowMs: number, cfg: StormConfig): boolean {
  if (nowMs - startedMs < cfg.exitForMs) return false;
  const minutes = Math.ceil(cfg.exitForMs / MINUTE);
  for (let k = 0; k < minutes; k++) {
    if (starts.count(nowMs - (k + 1) * MINUTE, nowMs - k * MINUTE) >= cfg.exitBelow) return false;
  }
  return true;
}

/** One alert a storm covers, in one of the receiver's groups. */
export interface CoveredAlert {
  readonly fingerprint: string;
  readonly labels: LabelSet;
  readonly groupKey: string;
  readonly atMs: number;
}

/** What a storm has covered so far: every alert and group, with first and last time seen. */
export interface StormRecord {
  readonly id: string;
  readonly receiver: string;
  readonly startedMs: number;
  /** By fingerprint: the alert's labels and the groups it is in, with first and last seen. */
  readonly alerts: Map<string, { labels: LabelSet; groups: Set<string>; firstMs: number; lastMs: number }>;
}

export function newStormRecord(id: string, receiver: string, startedMs: number): StormRecord {
  return { id, receiver, startedMs, alerts: new Map() };
}

export function cover(record: StormRecord, a: CoveredAlert): void {
  const known = record.alerts.get(a.fingerprint);
  if (known === undefined) {
    record.alerts.set(a.fingerprint, { labels: a.labels, groups: new Set([a.groupKey]), firstMs: a.atMs, lastMs: a.atMs });
    return;
  }
  known.groups.add(a.groupKey);
  known.firstMs = Math.min(known.firstMs, a.atMs);
  known.lastMs = Math.max(known.lastMs, a.atMs);
}

/** A storm's id: stable for one receiver and start time, so a replay or restart names it the same. */
export function stormId(receiver: string, startedMs: number): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < receiver.length; i++) h = Math.imul(h ^ receiver.charCodeAt(i), 0x01000193) >>> 0;
  return `${startedMs.toString(36)}-${h.toString(16).padStart(8, "0")}`;
}

/** The labels of the summary alert AlertPrism raises for a storm on `receiver`. */
export function summaryLabels(receiver: string): LabelSet {
  return { alertname: "AlertStorm", alertprism: "storm", receiver, severity: "critical" };
}

/** Whether an alert is a storm summary (which goes straight to its receiver, never held by a storm). */
export function isStormSummary(labels: LabelSet): boolean {
  return labels.alertprism === "storm" && labels.alertname === "AlertStorm";
}

function countBy(record: StormRecord, label: string): string {
  const counts = new Map<string, number>();
  for (const a of record.alerts.values()) {
    const v = a.labels[label] ?? "(none)";
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([v, n]) => `${v}=${n}`).join(", ");
}

const LARGEST_GROUPS = 10;

/** The summary alert's annotations: totals, counts by alertname, severity and priority, the largest groups. */
export function summaryAnnotations(record: StormRecord, formatTime: (ms: number) => string): LabelSet {
  const groups = new Map<string, number>();
  let first = Infinity;
  let last = -Infinity;
  for (const a of record.alerts.values()) {
    for (const g of a.groups) groups.set(g, (groups.get(g) ?? 0) + 1);
    first = Math.min(first, a.firstMs);
    last = Math.max(last, a.lastMs);
  }
  const n = record.alerts.size;
  const largest = [...groups].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, LARGEST_GROUPS);
  const lines = [
    `Alert storm on ${record.receiver} since ${formatTime(record.startedMs)}: ${n} alerts in ${groups.size} groups.`,
    ...(n > 0 ? [`First seen ${formatTime(first)}, last seen ${formatTime(last)}.`] : []),
    `By alertname: ${countBy(record, "alertname")}`,
    `By severity: ${countBy(record, "severity")}`,
    `By priority: ${countBy(record, "priority")}`,
    `Largest groups:`,
    ...largest.map(([g, k]) => `  ${g}: ${k}`),
  ];
  return {
    summary: `Alert storm on ${record.receiver}: ${n} alerts in ${groups.size} groups`,
    description: lines.join("\n"),
    storm_id: record.id,
    alerts: String(n),
    groups: String(groups.size),
  };
}
