import type { Alert } from "../types/alert.ts";
import type { Stage } from "../notify/stage.ts";
import { isStormSummary } from "./storm.ts";
import type { StormTracker } from "./storm-tracker.ts";

/**
 * The storm stage: while the flush's receiver is in a storm, its alerts are held (bypass alerts, the
 * storm's own summary and other alerts `exempt` names go on), covered by the summary, and counted as
 * notified so the end of the storm lets no burst through.
 */
export function stormStage(tracker: StormTracker, exempt: (alert: Alert) => boolean = () => false): Stage {
  return {
    name: "storm",
    run(ctx, alerts) {
      const record = tracker.active(ctx.receiver);
      if (record === undefined) return alerts;
      const pass: Alert[] = [];
      const held: Alert[] = [];
      for (const a of alerts) {
        if (isStormSummary(a.labels) || tracker.bypasses(a.labels) || exempt(a)) pass.push(a);
        else held.push(a);
      }
      if (held.length === 0) return alerts;
      tracker.hold(record, held, ctx.flush.groupKey, ctx.nowMs);
      ctx.coverAsNotified(held);
      ctx.decide({ stage: "storm", outcome: "held", fingerprints: held.map((a) => a.fingerprint), detail: { storm_id: record.id } });
      return pass;
    },
  };
}
