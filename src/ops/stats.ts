/**
 * Alert statistics over a time range, per bucket (the value of a label, or the receiver): episodes started
 * and resolved, notifications sent, MTTA and MTTR, and the noisiest, most flapping and longest-standing
 * alerts. The aggregation is pure; the rows come from StatsRepo. No HTTP here.
 *
 * Definitions (README "Statistics"):
 * - an episode starts with an alert's `new` history event (first seen firing, or firing again) and ends
 *   with its `resolved` event; a `new` while firing (re-fired with a later startsAt) ends the previous
 *   episode unresolved;
 * - MTTA: first acknowledgement of an episode − its start; a sample belongs to the range the ack was made in;
 * - MTTR: resolution − start; a sample belongs to the range the episode resolved in (its start may be earlier);
 * - percentiles by the nearest-rank method: the p-th of n sorted samples is the ⌈p/100·n⌉-th;
 * - notifications: successful deliveries (one per integration and group notification), put in the bucket
 *   of their receiver (`by=receiver`), or of the `by` label's value in their group's labels (the group key);
 *   deliveries of groups not grouped by that label are counted as `notifications_unattributed`.
 */
import type { LabelSet } from "../types/labels.ts";
import type { DeliveryCountRow, FirstAckRow, LifecycleRow } from "../store/stats-repo.ts";

/** What the statistics read: StatsRepo on SQLite, PgStatsRepo on PostgreSQL. */
export interface StatsSource {
  lifecycle(fromMs: number, toMs: number): Promise<LifecycleRow[]>;
  openEpisodeStart(seriesId: number, atMs: number, id?: number): Promise<number | undefined>;
  possiblyOpenSeries(toMs: number): Promise<number[]>;
  firstAcks(fromMs: number, toMs: number): Promise<FirstAckRow[]>;
  series(seriesId: number): Promise<{ fingerprint: string; labels: LabelSet }>;
  deliveries(fromMs: number, toMs: number, stepMs: number): Promise<DeliveryCountRow[]>;
}

export interface StatsQuery {
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly nowMs: number;
  /** `receiver`, or a label name. */
  readonly by: string;
  /** The receivers an alert's labels route to (for by=receiver). */
  receiversOf(labels: LabelSet): readonly string[];
}

/** A duration summary in seconds (millisecond precision); null figures when there is no sample. */
export interface DurationSummary {
  readonly samples: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly mean: number | null;
}

/** The nearest-rank percentile of ascending `sorted` (p in (0, 100]); undefined when empty. */
export function nearestRank(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

export function summarize(samplesMs: readonly number[]): DurationSummary {
  if (samplesMs.length === 0) return { samples: 0, p50: null, p90: null, mean: null };
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((s, x) => s + x, 0);
  return {
    samples: sorted.length,
    p50: nearestRank(sorted, 50)! / 1000,
    p90: nearestRank(sorted, 90)! / 1000,
    mean: Math.round(sum / sorted.length) / 1000,
  };
}

/**
 * The group labels in an aggregation group key (`<route key>:{a="1", b="2"}`, Go-quoted values), or
 * undefined when the key does not have that shape.
 */
export function groupLabelsFromKey(key: string): LabelSet | undefined {
  // The last ':' outside quotes and braces separates the route key from the labels.
  let split = -1;
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < key.length; i++) {
    const c = key[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "{") depth++;
    else if (c === "}") depth--;
    else if (c === ":" && depth === 0) split = i;
  }
  if (split < 0) return undefined;
  const body = key.slice(split + 1);
  if (!body.startsWith("{") || !body.endsWith("}")) return undefined;
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  const inner = body.slice(1, -1);
  re.lastIndex = 0;
  while (re.lastIndex < inner.length) {
    const m = re.exec(inner);
    if (m === null) return undefined;
    out[m[1]!] = unquoteGo(m[2]!);
  }
  return out;
}

const GO_ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", a: "\x07", b: "\b", f: "\f", v: "\v", '"': '"', "\\": "\\" };

function unquoteGo(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g, (_, e: string) =>
    e.length > 1 ? String.fromCharCode(parseInt(e.slice(1), 16)) : (GO_ESCAPES[e] ?? e));
}

/** The buckets an alert counts in: its receivers (by=receiver) or its value of the label ("" without it). */
export function bucketsOf(q: Pick<StatsQuery, "by" | "receiversOf">, labels: LabelSet): readonly string[] {
  if (q.by !== "receiver") return [labels[q.by] ?? ""];
  // A storm summary goes straight to the receiver it is about, not through the route tree.
  if (labels.alertprism === "storm" && labels.receiver !== undefined) return [labels.receiver];
  return [...new Set(q.receiversOf(labels))];
}

/** The bucket of a group's deliveries, or undefined when the group does not say (unattributed). */
export function deliveryBucket(by: string, row: Pick<DeliveryCountRow, "groupKey" | "receiver">): string | undefined {
  if (by === "receiver") return row.receiver;
  return groupLabelsFromKey(row.groupKey)?.[by];
}

export interface AlertRef {
  readonly fingerprint: string;
  readonly labels: LabelSet;
}

/** One episode that stood in the range. */
export interface StandingEpisode extends AlertRef {
  readonly startMs: number;
  /** When it resolved (or was replaced), or undefined while still open at the end of the range. */
  readonly endMs: number | undefined;
  /** Its age at its end, or at the end of the range (or now) while open. */
  readonly durationMs: number;
}

/** Counts per step (a single step for /stats). */
export interface Counts {
  readonly started: number[];
  readonly resolved: number[];
  readonly notifications: number[];
}

export interface BucketStats {
  readonly value: string;
  readonly counts: Counts;
  readonly mttaMs: number[];
  readonly mttrMs: number[];
}

export interface StatsResult {
  readonly steps: number;
  readonly buckets: Map<string, BucketStats>;
  readonly total: BucketStats;
  readonly unattributed: number[];
  readonly noisiest: ReadonlyArray<AlertRef & { episodes: number }>;
  readonly mostFlapping: ReadonlyArray<AlertRef & { changes: number }>;
  readonly longestStanding: readonly StandingEpisode[];
}

const TOP = 10;

/** Everything /stats and /stats/timeseries report, with counts per step of `stepMs` from `sinceMs`. */
export async function computeStats(src: StatsSource, q: StatsQuery, stepMs: number): Promise<StatsResult> {
  const { sinceMs, untilMs } = q;
  const steps = Math.max(1, Math.ceil((untilMs - sinceMs) / stepMs));
  const stepOf = (atMs: number) => Math.min(steps - 1, Math.floor((atMs - sinceMs) / stepMs));
  const newBucket = (value: string): BucketStats => ({
    value,
    counts: { started: new Array<number>(steps).fill(0), resolved: new Array<number>(steps).fill(0), notifications: new Array<number>(steps).fill(0) },
    mttaMs: [],
    mttrMs: [],
  });
  const buckets = new Map<string, BucketStats>();
  const total = newBucket("");
  const bucket = (v: string) => {
    let b = buckets.get(v);
    if (b === undefined) buckets.set(v, (b = newBucket(v)));
    return b;
  };
  const labelsCache = new Map<number, { fingerprint: string; labels: LabelSet; buckets: readonly string[] }>();
  // Every series is loaded where it is first met, so the sorting and counting below stay synchronous.
  const load = async (id: number): Promise<void> => {
    if (labelsCache.has(id)) return;
    const r = await src.series(id);
    labelsCache.set(id, { ...r, buckets: bucketsOf(q, r.labels) });
  };
  const seriesInfo = (id: number) => labelsCache.get(id)!;
  const each = (seriesId: number, f: (b: BucketStats) => void) => {
    f(total);
    for (const v of seriesInfo(seriesId).buckets) f(bucket(v));
  };

  // Episodes from the firing/resolved changes in the range.
  const open = new Map<number, number | undefined>(); // series → start of its open episode (undefined: none)
  const episodes = new Map<number, number>();
  const changes = new Map<number, number>();
  const standing: Array<{ seriesId: number; startMs: number; endMs: number | undefined }> = [];
  for (const e of await src.lifecycle(sinceMs, untilMs)) {
    await load(e.seriesId);
    changes.set(e.seriesId, (changes.get(e.seriesId) ?? 0) + 1);
    const known = open.has(e.seriesId);
    const start = known ? open.get(e.seriesId) : await src.openEpisodeStart(e.seriesId, e.atMs, e.id);
    const step = stepOf(e.atMs);
    if (e.kind === "new") {
      if (start !== undefined) standing.push({ seriesId: e.seriesId, startMs: start, endMs: e.atMs });
      open.set(e.seriesId, e.atMs);
      episodes.set(e.seriesId, (episodes.get(e.seriesId) ?? 0) + 1);
      each(e.seriesId, (b) => b.counts.started[step]!++);
    } else {
      open.set(e.seriesId, undefined);
      each(e.seriesId, (b) => b.counts.resolved[step]!++);
      if (start !== undefined) {
        standing.push({ seriesId: e.seriesId, startMs: start, endMs: e.atMs });
        const d = Math.max(0, e.atMs - start);
        each(e.seriesId, (b) => b.mttrMs.push(d));
      }
    }
  }
  // Episodes still open at the end of the range: those seen in it, and those open through all of it.
  for (const [seriesId, start] of open) if (start !== undefined) standing.push({ seriesId, startMs: start, endMs: undefined });
  for (const seriesId of await src.possiblyOpenSeries(untilMs)) {
    if (open.has(seriesId)) continue;
    const start = await src.openEpisodeStart(seriesId, sinceMs);
    if (start === undefined) continue;
    await load(seriesId);
    standing.push({ seriesId, startMs: start, endMs: undefined });
  }

  for (const a of await src.firstAcks(sinceMs, untilMs)) {
    await load(a.seriesId);
    const d = Math.max(0, a.createdMs - a.episodeStartMs);
    each(a.seriesId, (b) => b.mttaMs.push(d));
  }

  const unattributed = new Array<number>(steps).fill(0);
  for (const d of await src.deliveries(sinceMs, untilMs, stepMs)) {
    const step = Math.min(steps - 1, Math.max(0, d.step));
    total.counts.notifications[step]! += d.count;
    const v = deliveryBucket(q.by, d);
    if (v === undefined) unattributed[step]! += d.count;
    else bucket(v).counts.notifications[step]! += d.count;
  }

  const ref = (seriesId: number): AlertRef => {
    const s = seriesInfo(seriesId);
    return { fingerprint: s.fingerprint, labels: s.labels };
  };
  const top = <T extends { n: number; fp: string }>(xs: T[]) => xs.sort((a, b) => b.n - a.n || (a.fp < b.fp ? -1 : a.fp > b.fp ? 1 : 0)).slice(0, TOP);
  const endOfRange = Math.min(untilMs, q.nowMs);
  return {
    steps,
    buckets,
    total,
    unattributed,
    noisiest: top([...episodes].map(([id, n]) => ({ id, n, fp: seriesInfo(id).fingerprint })))
      .map(({ id, n }) => ({ ...ref(id), episodes: n })),
    mostFlapping: top([...changes].map(([id, n]) => ({ id, n, fp: seriesInfo(id).fingerprint })))
      .map(({ id, n }) => ({ ...ref(id), changes: n })),
    longestStanding: top(standing.map((s) => ({ ...s, n: Math.max(0, (s.endMs ?? endOfRange) - s.startMs), fp: seriesInfo(s.seriesId).fingerprint })))
      .map((s) => ({ ...ref(s.seriesId), startMs: s.startMs, endMs: s.endMs, durationMs: s.n })),
  };
}
