import type { DecisionRecord } from "../store/noise-repo.ts";
import type { StageDecision } from "./stage.ts";

/** A decision as stored: about a whole group (fingerprint "") or one alert, for one integration or all (""). */
export type DecisionRow = DecisionRecord;

/** A decision of one flush, possibly for one integration. */
export interface FlushDecision extends StageDecision {
  readonly integration?: string;
}

/** Outcomes that are events (each one happened), not states: recorded every time. */
const EVENT_OUTCOMES: ReadonlySet<string> = new Set(["sent", "failed", "covered"]);

/** How long a group's last decisions are remembered after its last flush. */
const GROUP_MEMORY_MS = 6 * 3600_000;

/**
 * Turns each flush's decisions into rows worth keeping: a state (held by a silence, muted by a time
 * interval, …) is written when it starts, changes or ends ("released"), not at every group_interval;
 * events (sent, failed) are always written. So an idle steady state writes nothing.
 */
export class DecisionLog {
  private readonly last = new Map<string, { atMs: number; states: Map<string, string> }>();
  private lastForgetMs = 0;

  constructor(private readonly write: (rows: readonly DecisionRow[]) => void) {}

  /** The decisions of one flush of `groupKey`; `present` are the fingerprints the flush carried. */
  flush(groupKey: string, receiver: string, nowMs: number, decisions: readonly FlushDecision[], present: ReadonlySet<string>): void {
    const rows: DecisionRow[] = [];
    const states = new Map<string, string>();
    const previous = this.last.get(groupKey)?.states ?? new Map<string, string>();
    for (const d of decisions) {
      const integration = d.integration ?? "";
      const detail = d.detail ?? {};
      const row = (fingerprint: string): DecisionRow => ({ atMs: nowMs, groupKey, receiver, integration, fingerprint, stage: d.stage, outcome: d.outcome, detail });
      if (EVENT_OUTCOMES.has(d.outcome)) {
        rows.push(row(""));
        continue;
      }
      const value = `${d.outcome}\u0000${JSON.stringify(detail)}`;
      for (const fp of d.fingerprints ?? [""]) {
        const key = `${integration}\u0000${fp}\u0000${d.stage}`;
        states.set(key, value);
        if (previous.get(key) !== value) rows.push(row(fp));
      }
    }
    for (const key of previous.keys()) {
      if (states.has(key)) continue;
      const [integration = "", fp = "", stage = ""] = key.split("\u0000");
      // An alert that left the group has nothing to be released from.
      if (fp !== "" && !present.has(fp)) continue;
      rows.push({ atMs: nowMs, groupKey, receiver, integration, fingerprint: fp, stage, outcome: "released", detail: {} });
    }
    this.last.set(groupKey, { atMs: nowMs, states });
    this.forgetIdleGroups(nowMs);
    if (rows.length > 0) this.write(rows);
  }

  private forgetIdleGroups(nowMs: number): void {
    if (nowMs - this.lastForgetMs < GROUP_MEMORY_MS / 6) return;
    this.lastForgetMs = nowMs;
    for (const [k, v] of this.last) if (nowMs - v.atMs > GROUP_MEMORY_MS) this.last.delete(k);
  }
}
