import type { Alert } from "../types/alert.ts";
import { isResolvedAt } from "../types/alert.ts";
import { ZERO_TIME } from "../types/time.ts";
import type { Stage } from "../notify/stage.ts";
import type { FlapTracker } from "./flap-tracker.ts";

/**
 * The flap stage: a flapping alert is notified as firing, with the annotation flapping="true" (in the
 * notification only), until it has stayed resolved for quiet_for. Its group keeps it meanwhile, so the
 * final resolve is notified when it settles.
 */
export function flapStage(tracker: FlapTracker): Stage {
  return {
    name: "flap",
    run(ctx, alerts) {
      const damped: string[] = [];
      const flapping: string[] = [];
      const out = alerts.map((a): Alert => {
        if (!tracker.isFlapping(a.fingerprint, ctx.nowMs)) return a;
        const annotations = { ...a.annotations, flapping: "true" };
        if (!isResolvedAt(a, ctx.nowMs)) {
          flapping.push(a.fingerprint);
          return { ...a, annotations };
        }
        damped.push(a.fingerprint);
        ctx.retain(a.fingerprint);
        return { ...a, annotations, endsAt: ZERO_TIME };
      });
      if (flapping.length > 0) ctx.decide({ stage: "flap", outcome: "flapping", fingerprints: flapping });
      if (damped.length > 0) ctx.decide({ stage: "flap", outcome: "damped", fingerprints: damped, detail: { shown_as: "firing" } });
      return out;
    },
  };
}
