import type { Alert } from "../types/alert.ts";
import { isResolvedAt } from "../types/alert.ts";
import type { Stage } from "../notify/stage.ts";

/** An acknowledgement as the ack stage needs it. */
export interface ActiveAck {
  readonly actor: string;
  readonly createdMs: number;
  readonly expiresMs: number | undefined;
}

/** The acks in force: the one of this alert's current firing episode, if any and not expired. */
export interface AckLookup {
  activeFor(alert: Alert, nowMs: number): ActiveAck | undefined;
}

/**
 * The ack stage (after silences, before flap and storm): an acknowledged firing alert goes on, so it is
 * shown (as acknowledged) whenever its group is notified, but it is quiet: it never makes a notification
 * due by itself — not as new, not for repeat_interval. A group whose firing alerts are all acknowledged is
 * thus not repeated; one with others still is; a new alert in the group is notified at once; a resolve is
 * notified as usual (an ack ends when its alert resolves). One decision per ack, stage "ack", outcome
 * "acked", with who acknowledged it.
 */
export function ackStage(acks: AckLookup): Stage {
  return {
    name: "ack",
    run(ctx, alerts) {
      const byAck = new Map<string, { detail: Record<string, unknown>; fingerprints: string[] }>();
      for (const a of alerts) {
        if (isResolvedAt(a, ctx.nowMs)) continue;
        const ack = acks.activeFor(a, ctx.nowMs);
        if (ack === undefined) continue;
        ctx.quiet?.(a.fingerprint);
        const detail: Record<string, unknown> = { by: ack.actor, acked_at_ms: ack.createdMs };
        if (ack.expiresMs !== undefined) detail.expires_ms = ack.expiresMs;
        const key = JSON.stringify(detail);
        const entry = byAck.get(key);
        if (entry) entry.fingerprints.push(a.fingerprint);
        else byAck.set(key, { detail, fingerprints: [a.fingerprint] });
      }
      for (const { detail, fingerprints } of byAck.values()) ctx.decide({ stage: "ack", outcome: "acked", fingerprints, detail });
      return alerts;
    },
  };
}
