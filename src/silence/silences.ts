import { randomUUID } from "node:crypto";
import type { Silence, SilenceMatcher } from "../types/silence.ts";
import { silenceState, silenceMatcherOp } from "../types/silence.ts";
import type { Matcher } from "../types/matcher.ts";
import type { LabelSet } from "../types/labels.ts";
import { isValidLabelName } from "../types/labels.ts";
import { compareTime, fromMillis, isZeroTime, type Timestamp } from "../types/time.ts";
import { newMatcher, checkRegex, matchesAll } from "../matchers/index.ts";
import type { Clock } from "../lib/clock.ts";
import { LimitError, NotFoundError, ValidationError } from "../lib/errors.ts";
import type { Limits } from "../limits/limits.ts";
import { labelBytes } from "../limits/alert-size.ts";
import type { SilencesStore } from "../store/silences-repo.ts";
import type { WriteQueue } from "../store/write-queue.ts";

export interface SilenceInput {
  readonly id?: string | undefined;
  readonly matchers: readonly SilenceMatcher[];
  readonly startsAt: Timestamp;
  readonly endsAt: Timestamp;
  readonly createdBy: string;
  readonly comment: string;
}

/** What a write changed: the silences written, and whether a label set is one they (may) mute. */
export interface SilenceChange {
  readonly ids: ReadonlySet<string>;
  matches(labels: LabelSet): boolean;
}

type Listener = (change: SilenceChange) => void;

/** The silence limits in force (read at every write, so a reload applies at once) and who hears of refusals. */
export interface SilenceLimits {
  current(): Pick<Limits, "maxSilences" | "maxSilenceSizeBytes">;
  refused(limit: "max_silences" | "max_silence_size_bytes"): void;
}

/** Alertmanager's silence store: pending/active/expired by time, update-in-place-or-replace, GC after retention. */
export class Silences {
  private readonly byId = new Map<string, Silence>();
  private readonly compiled = new Map<string, Matcher[]>();
  private readonly listeners: Listener[] = [];

  constructor(
    private readonly repo: SilencesStore,
    private readonly queue: WriteQueue,
    private readonly clock: Clock,
    private readonly retentionMs: number,
    private readonly limits?: SilenceLimits,
  ) {}

  load(): number {
    for (const s of this.repo.loadAll()) this.remember(s);
    return this.byId.size;
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  list(): Silence[] {
    return [...this.byId.values()];
  }

  get(id: string): Silence | undefined {
    return this.byId.get(id);
  }

  /** Ids of the active silences that mute the label set, sorted. */
  mutedBy(labels: LabelSet, nowMs: number): string[] {
    const ids: string[] = [];
    for (const s of this.byId.values()) {
      if (silenceState(s, nowMs) !== "active") continue;
      if (matchesAll(this.compiled.get(s.id) ?? [], labels)) ids.push(s.id);
    }
    return ids.sort();
  }

  /** The earliest future moment at which some silence changes state. */
  nextTransitionMs(nowMs: number): number | undefined {
    let next: number | undefined;
    for (const s of this.byId.values()) {
      for (const t of [s.startsAt.ms, s.endsAt.ms]) if (t > nowMs && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  /** Whether some silence started or ended in (fromMs, toMs]. */
  transitionedBetween(fromMs: number, toMs: number): boolean {
    for (const s of this.byId.values()) {
      if ((s.startsAt.ms > fromMs && s.startsAt.ms <= toMs) || (s.endsAt.ms > fromMs && s.endsAt.ms <= toMs)) return true;
    }
    return false;
  }

  /**
   * Creates or updates a silence; resolves to its id once committed. `inUnit` runs in the same commit
   * unit with the resulting id (e.g. to write the audit record).
   */
  async set(input: SilenceInput, inUnit?: (id: string) => void): Promise<string> {
    const now = this.clock.now();
    if (compareTime(input.startsAt, input.endsAt) >= 0) throw new ValidationError("Failed to create silence: start time must be before end time");
    if (input.endsAt.ms < now) throw new ValidationError("Failed to create silence: end time can't be in the past");
    const prev = input.id ? this.byId.get(input.id) : undefined;
    if (input.id && !prev) throw new NotFoundError("silence not found");
    const nowTs = fromMillis(now);
    // Alertmanager validates after clamping a past (or zero, as amtool sends) start to now.
    const compiled = validateSilence({ ...input, startsAt: input.startsAt.ms < now ? nowTs : input.startsAt });
    this.checkSize(input);

    if (prev && canUpdateInPlace(prev, input, now)) {
      const updated: Silence = { ...input, id: prev.id, updatedAt: nowTs };
      await this.commit([updated], compiled, inUnit && (() => inUnit(prev.id)));
      return prev.id;
    }
    const writes: Silence[] = [];
    if (prev && silenceState(prev, now) !== "expired") writes.push(expiredCopy(prev, now));
    const created: Silence = {
      ...input,
      id: randomUUID(),
      startsAt: input.startsAt.ms < now ? nowTs : input.startsAt,
      updatedAt: nowTs,
    };
    writes.push(created);
    // Counted in the commit unit, so concurrent creations cannot pass the limit together. Replacing a
    // silence that is not expired expires it in the same unit: the count stays the same.
    const replaces = prev !== undefined && silenceState(prev, now) !== "expired";
    let trimmed: Silence[] = [];
    await this.commit(writes, compiled, () => {
      this.checkCount(replaces);
      trimmed = this.trimExpired();
      inUnit?.(created.id);
    }, () => trimmed.forEach((t) => this.remember(t)));
    return created.id;
  }

  /**
   * Silences another replica stored (storage shared by replicas): taken without writing, unless this one
   * holds a version updated later; `gone`: deleted there (GC). Listeners hear of them as of a local change.
   */
  applyRemote(changed: readonly Silence[], gone: readonly string[]): void {
    const ids: string[] = [];
    for (const s of changed) {
      const local = this.byId.get(s.id);
      if (local && compareTime(local.updatedAt, s.updatedAt) > 0) continue;
      this.remember(s);
      ids.push(s.id);
    }
    for (const id of gone) {
      if (!this.byId.delete(id)) continue;
      this.compiled.delete(id);
      ids.push(id);
    }
    if (ids.length === 0) return;
    const change = this.changeOf(ids);
    for (const l of this.listeners) l(change);
  }

  /** Expires a silence: active → ends now; pending → starts and ends now; expired → unchanged. */
  async expire(id: string, inUnit?: () => void): Promise<void> {
    const s = this.byId.get(id);
    if (!s) throw new NotFoundError("silence not found");
    const now = this.clock.now();
    if (silenceState(s, now) === "expired") return;
    await this.commit([expiredCopy(s, now)], undefined, inUnit);
  }

  /** Drops silences that expired more than the retention ago. */
  async gc(): Promise<number> {
    const cutoff = this.clock.now() - this.retentionMs;
    const doomed = [...this.byId.values()].filter((s) => s.endsAt.ms < cutoff).map((s) => s.id);
    if (doomed.length === 0) return 0;
    await this.queue.submit(() => {
      for (const id of doomed) this.repo.delete(id);
      for (const id of doomed) { this.byId.delete(id); this.compiled.delete(id); }
    });
    return doomed.length;
  }

  private async commit(silences: Silence[], compiledLast?: Matcher[], inUnit?: () => void, onRollback?: () => void): Promise<void> {
    const previous = silences.map((s) => this.byId.get(s.id));
    await this.queue.submit(
      () => {
        for (const s of silences) this.repo.save(s);
        inUnit?.();
        silences.forEach((s, i) => this.remember(s, i === silences.length - 1 ? compiledLast : undefined));
      },
      () => {
        previous.forEach((p, i) => (p ? this.remember(p) : this.byId.delete(silences[i]!.id)));
        onRollback?.();
      },
    );
    const change = this.changeOf(silences.map((s) => s.id));
    for (const l of this.listeners) l(change);
  }

  /**
   * The silences just written, by their current matchers whatever their state: an alert they do not
   * match, and that none of them muted before, keeps its status, so a refresh need not look at it.
   */
  private changeOf(ids: readonly string[]): SilenceChange {
    const matchers = ids.map((id) => this.compiled.get(id) ?? []);
    return { ids: new Set(ids), matches: (labels) => matchers.some((m) => matchesAll(m, labels)) };
  }

  /** Active and pending silences: what max_silences bounds. */
  countUnexpired(nowMs = this.clock.now()): number {
    let n = 0;
    for (const s of this.byId.values()) if (silenceState(s, nowMs) !== "expired") n++;
    return n;
  }

  private checkSize(input: SilenceInput): void {
    if (!this.limits) return;
    const max = this.limits.current().maxSilenceSizeBytes;
    const bytes = silenceBytes(input);
    if (bytes <= max) return;
    this.limits.refused("max_silence_size_bytes");
    throw new LimitError("max_silence_size_bytes", `silence too large: its matchers, comment and createdBy take ${bytes} bytes, above limits.max_silence_size_bytes (${max})`);
  }

  private checkCount(replaces: boolean): void {
    if (!this.limits) return;
    const max = this.limits.current().maxSilences;
    const held = this.countUnexpired();
    if (held + 1 - (replaces ? 1 : 0) <= max) return;
    this.limits.refused("max_silences");
    throw new LimitError("max_silences", `too many silences: ${held} are active or pending, limits.max_silences is ${max}; expire one first (updating a silence in place is still accepted)`);
  }

  /**
   * Makes room for one more silence within twice max_silences held in all: expired silences beyond that
   * go oldest first, ahead of the retention, so creating and expiring in a loop cannot grow memory
   * without bound. Runs in the commit unit of the creation; returns what it removed (for a rollback).
   */
  private trimExpired(): Silence[] {
    if (!this.limits) return [];
    const excess = this.byId.size + 1 - 2 * this.limits.current().maxSilences;
    if (excess <= 0) return [];
    const now = this.clock.now();
    const doomed = [...this.byId.values()]
      .filter((s) => silenceState(s, now) === "expired")
      .sort((a, b) => a.endsAt.ms - b.endsAt.ms)
      .slice(0, excess);
    for (const s of doomed) {
      this.repo.delete(s.id);
      this.byId.delete(s.id);
      this.compiled.delete(s.id);
    }
    return doomed;
  }

  private remember(s: Silence, compiled?: Matcher[]): void {
    this.byId.set(s.id, s);
    this.compiled.set(s.id, compiled ?? compileMatchers(s.matchers));
  }
}

function silenceBytes(s: SilenceInput): number {
  let n = Buffer.byteLength(s.comment) + Buffer.byteLength(s.createdBy);
  for (const m of s.matchers) n += labelBytes({ [m.name]: m.value });
  return n;
}

function expiredCopy(s: Silence, nowMs: number): Silence {
  const now = fromMillis(nowMs);
  const pending = silenceState(s, nowMs) === "pending";
  return { ...s, startsAt: pending ? now : s.startsAt, endsAt: now, updatedAt: now };
}

/** Alertmanager's canUpdate: same matchers, and times changed only in ways the current state allows. */
function canUpdateInPlace(prev: Silence, next: SilenceInput, nowMs: number): boolean {
  if (JSON.stringify(prev.matchers.map(normalise)) !== JSON.stringify(next.matchers.map(normalise))) return false;
  switch (silenceState(prev, nowMs)) {
    case "active":
      return Math.floor(prev.startsAt.ms / 1000) === Math.floor(next.startsAt.ms / 1000) && next.endsAt.ms >= nowMs;
    case "pending":
      return next.startsAt.ms >= nowMs;
    case "expired":
      return false;
  }
}

function normalise(m: SilenceMatcher): SilenceMatcher {
  return { name: m.name, value: m.value, isRegex: m.isRegex, isEqual: m.isEqual };
}

function compileMatchers(ms: readonly SilenceMatcher[]): Matcher[] {
  return ms.map((m) => newMatcher(silenceMatcherOp(m), m.name, m.value));
}

/** Alertmanager's validateSilence, with its messages under "silence invalid: ". */
function validateSilence(s: SilenceInput): Matcher[] {
  const invalid = (msg: string): never => {
    throw new ValidationError(`silence invalid: ${msg}`);
  };
  if (s.matchers.length === 0) invalid("at least one matcher required");
  s.matchers.forEach((m, i) => {
    if (!isValidLabelName(m.name)) invalid(`invalid label matcher ${i}: invalid label name "${m.name}"`);
    if (m.isRegex) {
      const err = checkRegex(m.value);
      if (err) invalid(`invalid label matcher ${i}: invalid regular expression ${JSON.stringify(m.value)}: ${err}`);
    }
  });
  const compiled = compileMatchers(s.matchers);
  if (compiled.every((m) => m.matches(""))) invalid("at least one matcher must not match the empty string");
  if (isZeroTime(s.startsAt)) invalid("invalid zero start timestamp");
  if (isZeroTime(s.endsAt)) invalid("invalid zero end timestamp");
  return compiled;
}
