import type { Alert } from "../types/alert.ts";
import type { FlushContext, Stage } from "./stage.ts";

/** Muting decisions taken at flush time, from the current silences, inhibition rules and time intervals. */
export interface Muting {
  /** Fingerprints of the alerts inhibiting this one (empty: not inhibited). */
  inhibitedBy(alert: Alert, nowMs: number): readonly string[];
  /** Ids of the silences muting this one (empty: not silenced). */
  silencedBy(alert: Alert, nowMs: number): readonly string[];
  /** Whether the named time interval contains the instant. */
  inInterval(name: string, atMs: number): boolean;
}

/** Alerts muted by `mutedBy`, recorded as one decision per distinct cause; the rest go on. */
function holdMuted(ctx: FlushContext, alerts: readonly Alert[], stage: string, outcome: string, key: string, mutedBy: (a: Alert) => readonly string[]): readonly Alert[] {
  const pass: Alert[] = [];
  const byCause = new Map<string, string[]>();
  for (const a of alerts) {
    const causes = mutedBy(a);
    if (causes.length === 0) {
      pass.push(a);
      continue;
    }
    const cause = causes.join(",");
    const list = byCause.get(cause);
    if (list) list.push(a.fingerprint);
    else byCause.set(cause, [a.fingerprint]);
  }
  for (const [cause, fingerprints] of byCause) ctx.decide({ stage, outcome, fingerprints, detail: { [key]: cause.split(",") } });
  return pass;
}

/** Alertmanager's InhibitStage: alerts inhibited by a firing source alert are held. */
export function inhibitStage(muting: () => Muting): Stage {
  return {
    name: "inhibit",
    run: (ctx, alerts) => holdMuted(ctx, alerts, "inhibit", "inhibited", "inhibited_by", (a) => muting().inhibitedBy(a, ctx.nowMs)),
  };
}

/** Alertmanager's TimeActiveStage and TimeMuteStage: the route's time intervals hold the whole group. */
export function timeIntervalStage(muting: () => Muting): Stage {
  return {
    name: "time_intervals",
    run(ctx, alerts) {
      const { activeTimeIntervals: active, muteTimeIntervals: mute } = ctx.flush.route.opts;
      const m = muting();
      if (active.length > 0 && !active.some((name) => m.inInterval(name, ctx.nowMs))) {
        ctx.decide({ stage: "time_intervals", outcome: "outside_active", detail: { active_time_intervals: active } });
        return [];
      }
      const muting_ = mute.filter((name) => m.inInterval(name, ctx.nowMs));
      if (muting_.length > 0) {
        ctx.decide({ stage: "time_intervals", outcome: "muted", detail: { mute_time_intervals: muting_ } });
        return [];
      }
      return alerts;
    },
  };
}

/** Alertmanager's SilenceStage: silenced alerts are held. */
export function silenceStage(muting: () => Muting): Stage {
  return {
    name: "silence",
    run: (ctx, alerts) => holdMuted(ctx, alerts, "silence", "silenced", "silenced_by", (a) => muting().silencedBy(a, ctx.nowMs)),
  };
}
