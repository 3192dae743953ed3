import type { Clock } from "../lib/clock.ts";
import type { LabelSet } from "../types/labels.ts";
import { isResolvedAt } from "../types/alert.ts";
import type { NotificationData } from "../notify/notifier.ts";
import type { AckRow } from "../store/acks-repo.ts";
import type { AckBook, LiveAlerts } from "./acks.ts";
import { ackLinkFor, verifyAckLink, type AckLinkClaims, type AckLinkSettings } from "./ack-link.ts";

export interface AckLinkAlert {
  readonly fingerprint: string;
  readonly labels: LabelSet;
  /** gone: no longer in the live set. */
  readonly state: "firing" | "resolved" | "gone";
  readonly ackedBy: string | undefined;
}

export type AckLinkRefusal = { readonly ok: false; readonly reason: "invalid" | "expired" | "off"; readonly expiresMs?: number };

export type AckLinkView = AckLinkRefusal | { readonly ok: true; readonly claims: AckLinkClaims; readonly alerts: readonly AckLinkAlert[] };

export type AckLinkOutcome = AckLinkRefusal | { readonly ok: true; readonly claims: AckLinkClaims; readonly actor: string; readonly acked: readonly AckRow[]; readonly skipped: readonly string[] };

export interface AckLinkDeps {
  readonly clock: Clock;
  readonly acks: AckBook;
  readonly alerts: LiveAlerts;
  /** The link settings of the current configuration (undefined: links off). */
  settings(): AckLinkSettings | undefined;
}

/**
 * One-click ack links end to end: each notification's data gets its alerts' acks and, with links on, a
 * signed link naming its group and firing alerts; the link's page shows what it acknowledges, and its
 * confirmation acknowledges those alerts that still fire, as `link:<receiver>`.
 */
export class AckLinks {
  constructor(private readonly deps: AckLinkDeps) {}

  /** The pipeline's decorate hook: acks of the alerts, the group's link. */
  decorate(data: NotificationData, group: { readonly groupKey: string; readonly receiver: string }): NotificationData {
    const now = this.deps.clock.now();
    let changed = false;
    const alerts = data.alerts.map((a) => {
      const ack = this.deps.acks.noteFor(a, now);
      if (ack === undefined) return a;
      changed = true;
      return { ...a, ack };
    });
    const settings = this.deps.settings();
    const firing = data.alerts.filter((a) => a.status === "firing" && this.deps.acks.noteFor(a, now) === undefined).map((a) => a.fingerprint);
    const ackURL = settings ? ackLinkFor(settings, group, firing, now) : undefined;
    if (!changed && ackURL === undefined) return data;
    return { ...data, alerts, ...(ackURL === undefined ? {} : { ackURL }) };
  }

  view(token: string): AckLinkView {
    const checked = this.check(token);
    if (!checked.ok) return checked;
    const now = this.deps.clock.now();
    const alerts = checked.claims.fingerprints.map((fp): AckLinkAlert => {
      const live = this.deps.alerts.get(fp);
      if (!live) return { fingerprint: fp, labels: {}, state: "gone", ackedBy: undefined };
      const firing = live.state === "firing" && !isResolvedAt(live.alert, now);
      return { fingerprint: fp, labels: live.alert.labels, state: firing ? "firing" : "resolved", ackedBy: firing ? this.deps.acks.activeFor(live.alert, now)?.actor : undefined };
    });
    return { ok: true, claims: checked.claims, alerts };
  }

  async confirm(token: string, comment: string | undefined): Promise<AckLinkOutcome> {
    const checked = this.check(token);
    if (!checked.ok) return checked;
    const { claims } = checked;
    const actor = `link:${claims.receiver}`;
    const text = comment?.trim() || "acknowledged with a one-click link";
    const r = await this.deps.acks.ackFingerprints(claims.fingerprints, actor, text.slice(0, 2000), { via: "link", group_key: claims.groupKey });
    return { ok: true, claims, actor, acked: r.acked, skipped: r.skipped };
  }

  private check(token: string): AckLinkRefusal | { ok: true; claims: AckLinkClaims } {
    const settings = this.deps.settings();
    if (!settings) return { ok: false, reason: "off" };
    const r = verifyAckLink(settings.key, token, this.deps.clock.now());
    if (r.ok) return r;
    return { ok: false, reason: r.reason, ...(r.claims ? { expiresMs: r.claims.expiresMs } : {}) };
  }
}
