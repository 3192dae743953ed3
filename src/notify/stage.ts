import type { Alert } from "../types/alert.ts";
import type { GroupFlush } from "../dispatch/aggr-group.ts";

/**
 * The notification pipeline as an ordered list of stages, as Alertmanager's notify.Stage: each stage takes
 * the alerts of one group flush and returns those that go on, recording why it held the others. Stages
 * are synchronous and decide from in-memory state, so a flush never waits on one.
 */

/** One decision a stage took for a flush: about the whole group, or about some of its alerts. */
export interface StageDecision {
  readonly stage: string;
  /** What happened: "held", "muted", "damped", … (a stage's own words, stable for the ops API). */
  readonly outcome: string;
  /** The alerts it concerns; absent for the whole group. */
  readonly fingerprints?: readonly string[];
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** What a stage sees of the flush, and how it reports back beyond the alerts it passes on. */
export interface FlushContext {
  readonly flush: GroupFlush;
  readonly receiver: string;
  readonly nowMs: number;
  /** Records a decision (held alerts, a muted group, …) for the timeline and `explain`. */
  decide(decision: StageDecision): void;
  /**
   * Alerts a stage held that still count as notified (a storm summary told the receiver of them): the
   * notification log records them as sent, so they do not burst out when the hold ends.
   */
  coverAsNotified(alerts: readonly Alert[]): void;
  /** Resolved alerts the group must keep after this flush (a flapping alert shown as firing). */
  retain(fingerprint: string): void;
  /**
   * A firing alert that goes on but does not make a notification due by itself (it is acknowledged): it
   * is shown when the group is notified for another reason and kept in the log's firing set, but it is
   * neither announced as new nor repeated on its own.
   */
  quiet?(fingerprint: string): void;
}

export interface Stage {
  readonly name: string;
  run(ctx: FlushContext, alerts: readonly Alert[]): readonly Alert[];
}
