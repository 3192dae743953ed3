// Checks after a restart: the API state against the bookkeeping (alerts, silences, acks), resolving
// unanswered writes to what was observed; and, at the end, the deliveries against the final state.
import type { AlertEntry, AlertState, Book, SilenceEntry } from "./book.ts";
import { contentKey, type SinkRequest } from "./sink.ts";

export interface Findings {
  /** Acknowledged data missing or changed: each one fails the run. */
  losses: string[];
  /** State no write of ours explains. */
  phantoms: string[];
  /** Acknowledged values compared. */
  checked: number;
}

interface ApiAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

interface ApiSilence {
  id: string;
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual?: boolean }>;
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  status: { state: string };
}

interface NowAck {
  actor: string;
  comment: string;
  at: string;
}

const TIMEOUT_MS = 15_000;

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function sameAlert(got: ApiAlert, want: AlertState): boolean {
  return JSON.stringify(sortKeys(got.labels)) === JSON.stringify(sortKeys(want.labels))
    && JSON.stringify(sortKeys(got.annotations)) === JSON.stringify(sortKeys(want.annotations))
    && got.startsAt === want.startsAt && got.endsAt === want.endsAt && (got.generatorURL ?? "") === want.generatorURL;
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const show = (a: ApiAlert | AlertState | undefined) => (a === undefined ? "absent" : JSON.stringify({ annotations: a.annotations, startsAt: a.startsAt, endsAt: a.endsAt, generatorURL: a.generatorURL }));

interface OpsAlert {
  alert: { state: string; live: boolean; annotations?: Record<string, string>; starts_at?: string; ends_at?: string; generator_url?: string; labels: Record<string, string> };
}

/**
 * Alerts: each acknowledged state back exactly; an unanswered write's state adopted if it was committed.
 * Firing alerts are compared in /api/v2/alerts; resolved ones are not listed there (as in Alertmanager),
 * so their fields are read from the ops API's view of the live set.
 */
async function checkAlerts(url: string, book: Book, got: ApiAlert[], f: Findings): Promise<void> {
  const byFp = new Map(got.map((a) => [a.fingerprint, a]));
  for (const e of book.alerts) {
    const obs = byFp.get(e.fp);
    byFp.delete(e.fp);
    const c = e.confirmed;
    const p = e.pending;
    e.pending = undefined;
    if (c !== undefined) f.checked++;
    if (obs !== undefined) {
      if (c?.firing === true && sameAlert(obs, c)) continue;
      if (p?.firing === true && sameAlert(obs, p)) {
        adopt(e, p);
        continue;
      }
      if (c !== undefined) f.losses.push(`alert ${e.fp} ${JSON.stringify(e.labels)}: acknowledged ${show(c)}${p ? ` (or unanswered ${show(p)})` : ""}, now firing ${show(obs)}`);
      else f.phantoms.push(`alert ${e.fp}: never acknowledged${p ? ` (unanswered ${show(p)})` : ""}, now ${show(obs)}`);
      continue;
    }
    // Not firing: never written, or resolved.
    let resolved = c?.firing === false ? c : undefined;
    if (p?.firing === false) resolved = p; // the unanswered resolve was committed (or it would still fire)
    if (resolved === undefined) {
      if (c !== undefined) f.losses.push(`alert ${e.fp} ${JSON.stringify(e.labels)}: acknowledged ${show(c)}${p ? ` (or unanswered ${show(p)})` : ""}, now absent`);
      continue;
    }
    if (resolved === p) adopt(e, p);
    const ops = await getJson<OpsAlert>(`${url}/api/ops/v1/alerts/${e.fp}?limit=1`).catch(() => undefined);
    const a = ops?.alert;
    const same = a !== undefined && (a.live
      ? a.state === "resolved" && JSON.stringify(sortKeys(a.annotations ?? {})) === JSON.stringify(sortKeys(resolved.annotations))
        && a.starts_at === resolved.startsAt && a.ends_at === resolved.endsAt && (a.generator_url ?? "") === resolved.generatorURL
      : a.state === "resolved");
    if (!same) f.losses.push(`alert ${e.fp}: acknowledged as resolved ${show(resolved)}, the live set has ${JSON.stringify(a ?? "nothing")}`);
  }
  for (const a of byFp.values()) f.phantoms.push(`alert ${a.fingerprint} ${JSON.stringify(a.labels)}: not in the bookkeeping`);
}

function adopt(e: AlertEntry, s: AlertState): void {
  e.confirmed = s;
  if (!s.firing) e.ack = undefined;
}

function sameMatchers(got: ApiSilence["matchers"], want: SilenceEntry["matchers"]): boolean {
  const norm = (ms: ReadonlyArray<{ name: string; value: string; isRegex: boolean; isEqual?: boolean }>) =>
    JSON.stringify(ms.map((m) => [m.name, m.value, m.isRegex, m.isEqual ?? true]).sort());
  return norm(got) === norm(want);
}

/** Silences: every acknowledged one back with its exact fields; expired ones expired. */
function checkSilences(book: Book, got: ApiSilence[], f: Findings): void {
  const byId = new Map(got.map((s) => [s.id, s]));
  const byComment = new Map(got.map((s) => [s.comment, s]));
  const known = new Set<string>();
  for (const s of [...book.silences]) {
    let obs = s.id !== undefined ? byId.get(s.id) : undefined;
    if (s.created === "pending") {
      obs = byComment.get(s.comment);
      if (obs === undefined) {
        book.silences.splice(book.silences.indexOf(s), 1); // the create was not committed
        continue;
      }
      s.id = obs.id;
      s.created = "confirmed";
    } else {
      f.checked++;
    }
    if (obs === undefined) {
      f.losses.push(`silence ${s.id} (${s.comment}): acknowledged, now absent`);
      continue;
    }
    known.add(obs.id);
    const starts = Date.parse(obs.startsAt);
    const fieldsOk = sameMatchers(obs.matchers, s.matchers) && obs.createdBy === "torture" && obs.comment === s.comment
      && starts >= s.startsLo - 1 && starts <= s.startsHi + 1;
    if (!fieldsOk) f.losses.push(`silence ${obs.id} (${s.comment}): fields changed: ${JSON.stringify(obs)}`);
    const expired = obs.status.state === "expired";
    const ends = Date.parse(obs.endsAt);
    if (s.expire?.confirmed === true || (s.expire !== undefined && expired)) {
      if (!expired || ends < s.expire.lo - 1 || ends > s.expire.hi + 1) {
        f.losses.push(`silence ${obs.id}: expired between ${new Date(s.expire.lo).toISOString()} and ${new Date(s.expire.hi).toISOString()}, now ${obs.status.state} until ${obs.endsAt}`);
      }
      s.expire = { lo: ends, hi: ends, confirmed: true };
    } else {
      s.expire = undefined; // an unanswered expire that was not committed
      if (obs.status.state !== "active" || obs.endsAt !== s.endsAt) f.losses.push(`silence ${obs.id}: should be active until ${s.endsAt}, is ${obs.status.state} until ${obs.endsAt}`);
    }
    s.busy = false;
  }
  for (const s of got) if (!known.has(s.id)) f.phantoms.push(`silence ${s.id} (${s.comment}): not in the bookkeeping`);
}

/** Acks of firing alerts: the acknowledged ack (actor, comment, time) or none. */
function checkAcks(book: Book, rows: Map<string, NowAck | null>, f: Findings): void {
  for (const e of book.alerts) {
    const c = e.confirmed;
    if (!c?.firing) {
      e.ackOp = undefined;
      e.busy = false;
      continue;
    }
    const obs = rows.get(e.fp);
    if (obs === undefined) {
      f.losses.push(`alert ${e.fp}: firing but missing from /api/ops/v1/alerts/now`);
      continue;
    }
    const want = book.expectedAck(e);
    if (want !== undefined) f.checked++;
    const matchesWant = want === undefined ? obs === null
      : obs !== null && obs.actor === "local" && obs.comment === want.comment && (want.at === undefined || obs.at === want.at);
    const op = e.ackOp;
    if (matchesWant) {
      if (want !== undefined && want.at === undefined && obs !== null) want.at = obs.at;
    } else if (op?.kind === "ack" && obs !== null && obs.actor === "local" && obs.comment === op.comment) {
      e.ack = { comment: op.comment, at: obs.at, episode: c.startsAt };
    } else if (op?.kind === "unack" && obs === null) {
      e.ack = undefined;
    } else if (want !== undefined) {
      f.losses.push(`ack of ${e.fp}: acknowledged ${JSON.stringify(want)}${op ? ` (unanswered ${op.kind})` : ""}, now ${JSON.stringify(obs)}`);
    } else {
      f.phantoms.push(`ack of ${e.fp}: none expected${op ? ` (unanswered ${op.kind})` : ""}, now ${JSON.stringify(obs)}`);
    }
    e.ackOp = undefined;
    e.busy = false;
  }
}

/** Verifies the API state of a (re)started process against the book and settles unknown outcomes. */
export async function verifyState(url: string, book: Book): Promise<Findings> {
  const f: Findings = { losses: [], phantoms: [], checked: 0 };
  await checkAlerts(url, book, await getJson<ApiAlert[]>(`${url}/api/v2/alerts`), f);
  checkSilences(book, await getJson<ApiSilence[]>(`${url}/api/v2/silences`), f);
  const now = await getJson<{ groups: Array<{ alerts: Array<{ fingerprint: string; ack: NowAck | null }> }> }>(`${url}/api/ops/v1/alerts/now?limit=1000`);
  const rows = new Map<string, NowAck | null>();
  for (const g of now.groups) for (const a of g.alerts) rows.set(a.fingerprint, a.ack);
  checkAcks(book, rows, f);
  return f;
}

// ---------------------------------------------------------------------------------------------
// Deliveries

export interface KillRecord {
  at: number;
  mode: string;
  /** The notification log as the dead process left it: group key → firing/resolved sets. */
  nflog: Map<string, { firing: string; resolved: string }>;
  /** Group keys with an undelivered decision in the outbox at death. */
  outbox: string[];
}

export interface Duplicate {
  groupKey: string;
  firstAt: number;
  secondAt: number;
  inWindow: boolean;
  why: string;
}

const setKey = (fps: readonly string[]) => JSON.stringify([...fps].sort());

/**
 * Two consecutive deliveries of one group with the same content. README's window: a crash after the
 * receiver got a message but before AlertPrism recorded it. So a duplicate is inside the window only if
 * a kill fell between the two and the log the dead process left did not record the first one.
 */
export function findDuplicates(delivered: readonly SinkRequest[], kills: readonly KillRecord[]): Duplicate[] {
  const last = new Map<string, SinkRequest>();
  const out: Duplicate[] = [];
  for (const r of delivered) {
    const prev = last.get(r.groupKey);
    last.set(r.groupKey, r);
    if (prev === undefined || contentKey(prev) !== contentKey(r)) continue;
    const between = kills.filter((k) => k.at >= prev.at - 1_000 && k.at <= r.at);
    const firing = setKey(prev.alerts.filter((a) => a.status === "firing").map((a) => a.fingerprint));
    const resolved = setKey(prev.alerts.filter((a) => a.status !== "firing").map((a) => a.fingerprint));
    const unrecorded = between.filter((k) => {
      const e = k.nflog.get(r.groupKey);
      return e === undefined || e.firing !== firing || e.resolved !== resolved;
    });
    const why = between.length === 0 ? "no kill between the two deliveries"
      : unrecorded.length === 0 ? `the log left by the kill(s) at ${between.map((k) => new Date(k.at).toISOString()).join(", ")} had recorded the first`
        : `kill (${unrecorded[0]!.mode}) at ${new Date(unrecorded[0]!.at).toISOString()} before the first was recorded`;
    out.push({ groupKey: r.groupKey, firstAt: prev.at, secondAt: r.at, inWindow: unrecorded.length > 0, why });
  }
  return out;
}

/**
 * After the final restart with a healthy receiver: each group's last delivery tells of every firing alert
 * that is neither silenced nor acknowledged (acknowledged ones may be left out: they are quiet), and no
 * longer as firing of one that resolved (unless a silence may have hidden that resolve); every decision
 * left in the outbox by a kill was followed by a delivery of its group.
 */
export function checkDeliveries(book: Book, delivered: readonly SinkRequest[], kills: readonly KillRecord[]): string[] {
  const problems: string[] = [];
  const lastByGrp = new Map<string, SinkRequest>();
  for (const r of delivered) {
    const grp = r.alerts.map((a) => book.byFp.get(a.fingerprint)?.grp).find((g) => g !== undefined);
    if (grp !== undefined) lastByGrp.set(grp, r);
  }
  for (const e of book.alerts) {
    const c = e.confirmed;
    if (c === undefined) continue;
    const told = lastByGrp.get(e.grp)?.alerts.find((a) => a.fingerprint === e.fp);
    // By fingerprint, as Alertmanager's notification log decides: an alert that resolved and fired
    // again between two flushes is not notified again (its startsAt in the last delivery is older).
    const toldFiring = told?.status === "firing";
    if (c.firing && !book.isMuted(e.labels) && book.expectedAck(e) === undefined && !toldFiring) {
      problems.push(`alert ${e.fp} ${JSON.stringify(e.labels)} fires since ${c.startsAt}, unmuted: the last delivery of its group does not tell of it (${told ? `${told.status} since ${told.startsAt}` : "absent"})`);
    }
    if (!c.firing && !book.mayBeMuted(e.labels) && toldFiring) {
      problems.push(`alert ${e.fp} resolved at ${c.endsAt}: the last delivery of its group still tells of it as firing`);
    }
  }
  for (const k of kills) {
    for (const gk of k.outbox) {
      if (!delivered.some((r) => r.groupKey === gk && r.at > k.at)) problems.push(`outbox decision for ${gk} left by the kill at ${new Date(k.at).toISOString()} was never delivered`);
    }
  }
  return problems;
}
