import type { Alert } from "../types/alert.ts";
import type { LabelSet } from "../types/labels.ts";
import type { RoutingTable } from "../dispatch/routing-table.ts";
import type { Stage } from "../notify/stage.ts";
import { ackStage } from "../noise/ack-stage.ts";
import { AckBook, type AckBookDeps } from "./acks.ts";
import { AckLinks } from "./ack-link-service.ts";
import type { AckLinkSettings } from "./ack-link.ts";
import { Escalator, type EscalationDecision, type EscalationRule } from "./escalation.ts";

export interface AckServicesDeps extends AckBookDeps {
  routing(): RoutingTable;
  linkSettings(): AckLinkSettings | undefined;
  escalationRules(): readonly EscalationRule[];
  /** Sends one notification to a receiver's integrations (the pipeline's notifyReceiver). */
  send(receiver: string, logGroupKey: string, groupLabels: LabelSet, alerts: readonly Alert[]): Promise<boolean>;
  /** Whether this process escalates now (see Escalator's `active`); absent: always. */
  escalating?(): boolean;
  /** Writes decisions to notify_decisions; called inside a commit unit. */
  recordDecisions(rows: ReadonlyArray<EscalationDecision & { readonly stage: string; readonly integration: string }>): void;
}

/**
 * Acknowledgement as one capability: the ack book (state in memory and SQLite), the ack pipeline stage,
 * the notification extras and one-click links, and escalation of what nobody acknowledges in time.
 */
export class AckServices {
  readonly acks: AckBook;
  readonly links: AckLinks;
  readonly escalator: Escalator;
  readonly stage: Stage;

  constructor(private readonly deps: AckServicesDeps) {
    this.acks = new AckBook({ clock: deps.clock, log: deps.log, queue: deps.queue, repo: deps.repo, audit: deps.audit, history: deps.history, alerts: deps.alerts });
    this.stage = ackStage(this.acks);
    this.links = new AckLinks({ clock: deps.clock, acks: this.acks, alerts: deps.alerts, settings: () => deps.linkSettings() });
    this.escalator = new Escalator({
      clock: deps.clock,
      log: deps.log,
      queue: deps.queue,
      repo: deps.repo,
      alerts: deps.alerts,
      rules: () => deps.escalationRules(),
      acknowledged: (a, now) => this.acks.activeFor(a, now) !== undefined,
      groupLabels: (a, groupKey) => groupLabelsOf(deps.routing(), a, groupKey),
      send: (receiver, key, labels, alerts) => deps.send(receiver, key, labels, alerts),
      recordDecisions: (rows) => deps.recordDecisions(rows.map((r) => ({ ...r, stage: "escalation", integration: "" }))),
      ...(deps.escalating ? { active: deps.escalating } : {}),
    });
    this.acks.onAcked((fps, actor, atMs) => this.escalator.acknowledged(fps, actor, atMs));
  }

  /** Takes over the escalations a previous sender scheduled (after the repository re-read them). */
  resumeEscalations(): number {
    return this.escalator.load();
  }

  /** Restores acks and pending escalations; call after the alerts are loaded. */
  load(): { acks: number; escalations: number } {
    return { acks: this.acks.load(), escalations: this.escalator.load() };
  }

  stop(): void {
    this.escalator.stop();
    this.acks.stop();
  }

  /** Retention, inside a commit unit. */
  prune(beforeMs: number): void {
    this.deps.repo.prune(beforeMs);
  }
}

/** The group labels of the route that makes `groupKey` for this alert now. */
function groupLabelsOf(routing: RoutingTable, alert: Alert, groupKey: string): LabelSet | undefined {
  for (const route of routing.root.match(alert.labels)) {
    const labels = route.groupLabels(alert.labels);
    if (route.groupKey(labels) === groupKey) return labels;
  }
  return undefined;
}
