import type { Matcher } from "../types/matcher.ts";
import type { HistoryEventRow, HistoryPlan, HistoryReads, Keyset } from "../store/history-repo.ts";

/**
 * The history query behind GET /alerts/history: label matchers resolved to series ids through
 * series_labels (the series are far fewer than the events), then one index range scan of alert_events,
 * newest first, paged by (at_ms, id) so inserts between pages neither repeat nor skip rows.
 */

export interface HistoryRequest {
  readonly matchers: readonly Matcher[];
  readonly sinceMs?: number;
  readonly untilMs?: number;
  readonly kinds?: readonly string[];
  readonly before?: Keyset;
  readonly limit: number;
}

export interface HistoryPage {
  readonly events: readonly HistoryEventRow[];
  /** Where the next page starts; undefined on the last page. */
  readonly next: Keyset | undefined;
  readonly plan: HistoryPlan;
}

/** The series a set of matchers selects: only `in` (when given), never `notIn`; `in` empty selects nothing. */
export interface SeriesSelection {
  readonly in?: ReadonlySet<number>;
  readonly notIn: ReadonlySet<number>;
}

/** Above this many matching values a label's pairs are read in one scan rather than one lookup per value. */
const PER_VALUE_LOOKUPS = 32;

/**
 * Matchers → series ids. `name="value"` (non-empty) is one lookup of the pair; any other matcher reads the
 * label's distinct values, tests the matcher once per value, and selects the series of the matching
 * values — or, when the matcher also accepts a missing label (`!=`, `!~`, `=""`, `=~".*"`), excludes the
 * series of the values it rejects.
 */
export async function selectSeries(repo: HistoryReads, matchers: readonly Matcher[]): Promise<SeriesSelection> {
  let only: Set<number> | undefined;
  const not = new Set<number>();
  const narrow = (ids: Iterable<number>) => {
    if (only === undefined) {
      only = new Set(ids);
      return;
    }
    const next = new Set<number>();
    for (const id of ids) if (only.has(id)) next.add(id);
    only = next;
  };
  // Equality first: it narrows most, and an empty result ends the work.
  const ordered = [...matchers].sort((a, b) => rank(a) - rank(b));
  for (const m of ordered) {
    if (only !== undefined && only.size === 0) break;
    if (m.type === "=" && m.value !== "") {
      narrow(await repo.seriesWithLabel(m.name, m.value));
      continue;
    }
    const acceptsMissing = m.matches("");
    const values = (await repo.labelValues(m.name)).filter((v) => m.matches(v) !== acceptsMissing);
    const ids = await seriesOfValues(repo, m.name, values);
    if (acceptsMissing) for (const id of ids) not.add(id);
    else narrow(ids);
  }
  if (only === undefined) return { notIn: not };
  for (const id of not) only.delete(id);
  return { in: only, notIn: new Set() };
}

function rank(m: Matcher): number {
  return m.type === "=" && m.value !== "" ? 0 : 1;
}

async function seriesOfValues(repo: HistoryReads, name: string, values: readonly string[]): Promise<number[]> {
  if (values.length === 0) return [];
  if (values.length <= PER_VALUE_LOOKUPS) return (await Promise.all(values.map((v) => repo.seriesWithLabel(name, v)))).flat();
  const wanted = new Set(values);
  return (await repo.labelPairs(name)).filter((p) => wanted.has(p.value)).map((p) => p.seriesId);
}

/**
 * Which index to walk, from the expected rows each reads: walking time reads about limit ÷ (share of
 * series selected) rows before the page is full; walking each selected series reads all of their events
 * in the range, then sorts them (weighted twice).
 */
export function choosePlan(selected: number, sizes: { series: number; events: number }, rangeShare: number, limit: number): HistoryPlan {
  if (sizes.series === 0 || sizes.events === 0) return "time";
  const share = selected / sizes.series;
  if (share === 0) return "series";
  const inRange = sizes.events * rangeShare;
  const byTime = Math.min(inRange, limit / share);
  const bySeries = 2 * share * inRange + selected;
  return bySeries < byTime ? "series" : "time";
}

/** One page of history, newest first. */
export async function queryHistory(repo: HistoryReads, q: HistoryRequest): Promise<HistoryPage> {
  const sel = await selectSeries(repo, q.matchers);
  let plan: HistoryPlan = "time";
  if (sel.in !== undefined) {
    if (sel.in.size === 0) return { events: [], next: undefined, plan: "series" };
    const span = await repo.timeSpan();
    const total = Math.max(1, span.toMs - span.fromMs);
    const from = Math.max(span.fromMs, q.sinceMs ?? span.fromMs);
    const to = Math.min(span.toMs, q.untilMs ?? span.toMs);
    const rangeShare = Math.max(0, Math.min(1, (to - from) / total));
    plan = choosePlan(sel.in.size, await repo.sizes(), rangeShare, q.limit);
  }
  const rows = await repo.events({
    ...(sel.in ? { seriesIn: [...sel.in] } : {}),
    ...(sel.notIn.size > 0 ? { seriesNotIn: [...sel.notIn] } : {}),
    ...(q.sinceMs !== undefined ? { sinceMs: q.sinceMs } : {}),
    ...(q.untilMs !== undefined ? { untilMs: q.untilMs } : {}),
    ...(q.kinds ? { kinds: q.kinds } : {}),
    ...(q.before ? { before: q.before } : {}),
    limit: q.limit + 1,
    plan,
  });
  const more = rows.length > q.limit;
  const events = more ? rows.slice(0, q.limit) : rows;
  const last = events[events.length - 1];
  return { events, next: more && last ? { atMs: last.atMs, id: last.id } : undefined, plan };
}
