import type { LabelSet } from "../types/labels.ts";
import type { LiveAlert } from "../provider/alert-provider.ts";
import type { RoutingTable } from "../dispatch/routing-table.ts";
import type {
  AckRecord, CommentRecord, DecisionEntry, DeliveryRecord, EscalationRecord, HistoryEventRow, HistoryReads, Keyset, Window,
} from "../store/history-repo.ts";

/**
 * One alert's story in time order: its history events, the notification decisions about it and about the
 * groups it is in, every delivery attempt of those groups while it was in them, and acks, comments and
 * escalations. Paged by (time, source, id), so a page boundary never splits or repeats an entry.
 */

export type TimelineEntry =
  | { readonly source: "event"; readonly atMs: number; readonly id: number; readonly event: HistoryEventRow }
  | { readonly source: "decision"; readonly atMs: number; readonly id: number; readonly decision: DecisionEntry }
  | { readonly source: "delivery"; readonly atMs: number; readonly id: number; readonly delivery: DeliveryRecord }
  | { readonly source: "ack"; readonly atMs: number; readonly id: number; readonly ack: AckRecord; readonly action: "acked" | "unacked" }
  | { readonly source: "comment"; readonly atMs: number; readonly id: number; readonly comment: CommentRecord }
  | { readonly source: "escalation"; readonly atMs: number; readonly id: number; readonly escalation: EscalationRecord; readonly state: "pending" | "fired" | "cancelled" };

export type TimelineSource = TimelineEntry["source"];

/** Tie order of entries at the same millisecond: the event, then what the pipeline made of it. */
export const SOURCES: readonly TimelineSource[] = ["event", "decision", "delivery", "ack", "comment", "escalation"];

/** A position in a timeline: the last entry returned. */
export interface TimelineCursor {
  readonly atMs: number;
  readonly source: number;
  readonly id: number;
}

export interface AlertNow {
  readonly fingerprint: string;
  readonly labels: LabelSet;
  /** In the live set now (else known from history only). */
  readonly live: LiveAlert | undefined;
  readonly state: "firing" | "resolved";
  readonly lastEventMs: number | undefined;
  /** Aggregation group keys the alert is or was in. */
  readonly groups: readonly string[];
}

export interface TimelinePage {
  readonly alert: AlertNow;
  readonly entries: readonly TimelineEntry[];
  readonly next: TimelineCursor | undefined;
}

export interface TimelineRequest {
  readonly sinceMs?: number;
  readonly untilMs?: number;
  readonly after?: TimelineCursor;
  readonly limit: number;
}

export interface TimelineDeps {
  readonly repo: HistoryReads;
  live(fingerprint: string): LiveAlert | undefined;
  routing(): RoutingTable;
}

/** Acks, comments and escalations per alert are few; each is read up to this many, newest first. */
const PER_ALERT_RECORDS = 1000;
const FOREVER = 8.64e15;

/** The alert's state and timeline page; undefined when the fingerprint was never seen. */
export async function alertTimeline(deps: TimelineDeps, fingerprint: string, q: TimelineRequest): Promise<TimelinePage | undefined> {
  const { repo } = deps;
  const live = deps.live(fingerprint);
  const series = await repo.series(fingerprint);
  if (!live && !series) return undefined;
  const labels = live?.alert.labels ?? series!.labels;

  // The groups: from the routing tree now, and from the decisions and storms recorded about the alert.
  const routes = deps.routing().root.match(labels);
  const groups = new Set(routes.map((r) => r.groupKey(r.groupLabels(labels))));
  for (const g of await repo.decisionGroupsOf(fingerprint)) groups.add(g);
  for (const g of await repo.stormGroupsOf(fingerprint)) groups.add(g);

  // The alert is in its groups from each `new` to its `resolved`, and the resolved notification follows
  // within a group_interval (plus the flush's retries): group rows are read in those windows only.
  const graceMs = 2 * Math.max(60_000, ...routes.map((r) => r.opts.groupIntervalMs)) + 10_000;
  const transitions = series ? await repo.seriesTransitions(series.id) : [];
  const episodes = episodeWindows(transitions, graceMs, live?.alert.startsAt.ms);

  const window: Window = { fromMs: q.sinceMs ?? -FOREVER, toMs: q.untilMs ?? FOREVER };
  const n = q.limit + 1;
  const after = (source: TimelineSource): Keyset | undefined => afterFor(q.after, SOURCES.indexOf(source));
  const entries: TimelineEntry[] = [];

  if (series) {
    for (const e of await repo.seriesEvents(series.id, window, after("event"), n)) entries.push({ source: "event", atMs: e.atMs, id: e.id, event: e });
  }
  for (const d of await repo.alertDecisions(fingerprint, window, after("decision"), n)) entries.push({ source: "decision", atMs: d.atMs, id: d.id, decision: d });
  const groupRows = async (read: (g: string, w: Window) => Promise<number>): Promise<void> => {
    for (const w of episodes) {
      const clipped = { fromMs: Math.max(w.fromMs, window.fromMs), toMs: Math.min(w.toMs, window.toMs) };
      if (clipped.fromMs > clipped.toMs) continue;
      let got = 0;
      for (const g of groups) got += await read(g, clipped);
      // Windows are in time order: once a window filled a page, later ones cannot be on it.
      if (got >= n) break;
    }
  };
  const decisionsAt = new Set<number>();
  await groupRows(async (g, w) => {
    const rows = await repo.groupDecisions(g, w, after("decision"), n);
    for (const d of rows) if (!decisionsAt.has(d.id)) { decisionsAt.add(d.id); entries.push({ source: "decision", atMs: d.atMs, id: d.id, decision: d }); }
    return rows.length;
  });
  const deliveriesAt = new Set<number>();
  await groupRows(async (g, w) => {
    const rows = await repo.groupDeliveries(g, w, after("delivery"), n);
    for (const d of rows) if (!deliveriesAt.has(d.id)) { deliveriesAt.add(d.id); entries.push({ source: "delivery", atMs: d.atMs, id: d.id, delivery: d }); }
    return rows.length;
  });
  for (const a of await repo.acksOf(fingerprint, PER_ALERT_RECORDS)) {
    entries.push({ source: "ack", atMs: a.createdMs, id: a.id * 2, ack: a, action: "acked" });
    if (a.endedMs !== null) entries.push({ source: "ack", atMs: a.endedMs, id: a.id * 2 + 1, ack: a, action: "unacked" });
  }
  for (const c of await repo.commentsOf(fingerprint, PER_ALERT_RECORDS)) entries.push({ source: "comment", atMs: c.createdMs, id: c.id, comment: c });
  for (const e of await repo.escalationsOf(fingerprint, PER_ALERT_RECORDS)) {
    const state = e.firedMs !== null ? "fired" : e.cancelledMs !== null ? "cancelled" : "pending";
    entries.push({ source: "escalation", atMs: e.firedMs ?? e.cancelledMs ?? e.dueMs, id: e.id, escalation: e, state });
  }

  const inPage = entries
    .filter((e) => e.atMs >= window.fromMs && e.atMs <= window.toMs && isAfter(e, q.after))
    .sort(compareEntries);
  const more = inPage.length > q.limit;
  const page = more ? inPage.slice(0, q.limit) : inPage;
  const last = page[page.length - 1];
  const lastTransition = transitions[transitions.length - 1];
  const lastEventMs = series ? await repo.lastEventMs(series.id) : undefined;
  return {
    alert: {
      fingerprint,
      labels,
      live,
      state: live ? live.state : lastTransition?.kind === "new" ? "firing" : "resolved",
      lastEventMs,
      groups: [...groups].sort(),
    },
    entries: page,
    next: more && last ? { atMs: last.atMs, source: SOURCES.indexOf(last.source), id: last.id } : undefined,
  };
}

/** Windows [new, resolved + grace], merged; an episode still open (or begun before retention) is open-ended. */
export function episodeWindows(transitions: ReadonlyArray<{ atMs: number; kind: "new" | "resolved" }>, graceMs: number, liveStartsMs: number | undefined): Window[] {
  const out: Window[] = [];
  let open: number | undefined;
  for (const t of transitions) {
    if (t.kind === "new") {
      open ??= t.atMs;
    } else {
      out.push({ fromMs: open ?? -FOREVER, toMs: t.atMs + graceMs });
      open = undefined;
    }
  }
  if (open !== undefined) out.push({ fromMs: open, toMs: FOREVER });
  else if (liveStartsMs !== undefined && (out.length === 0 || out[out.length - 1]!.toMs < liveStartsMs)) out.push({ fromMs: liveStartsMs, toMs: FOREVER });
  const merged: Window[] = [];
  for (const w of out) {
    const prev = merged[merged.length - 1];
    if (prev && w.fromMs <= prev.toMs) merged[merged.length - 1] = { fromMs: prev.fromMs, toMs: Math.max(prev.toMs, w.toMs) };
    else merged.push(w);
  }
  return merged;
}

/** The SQL position for a source: rows after the cursor in (time, source, id) order. */
function afterFor(c: TimelineCursor | undefined, source: number): Keyset | undefined {
  if (!c) return undefined;
  if (source < c.source) return { atMs: c.atMs, id: Number.MAX_SAFE_INTEGER };
  if (source > c.source) return { atMs: c.atMs - 1, id: Number.MAX_SAFE_INTEGER };
  return { atMs: c.atMs, id: c.id };
}

function isAfter(e: TimelineEntry, c: TimelineCursor | undefined): boolean {
  if (!c) return true;
  return compareKeys(e.atMs, SOURCES.indexOf(e.source), e.id, c.atMs, c.source, c.id) > 0;
}

function compareEntries(a: TimelineEntry, b: TimelineEntry): number {
  return compareKeys(a.atMs, SOURCES.indexOf(a.source), a.id, b.atMs, SOURCES.indexOf(b.source), b.id);
}

function compareKeys(at1: number, s1: number, id1: number, at2: number, s2: number, id2: number): number {
  return at1 - at2 || s1 - s2 || id1 - id2;
}
