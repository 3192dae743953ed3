import type { OpsModule } from "./openapi.ts";
import { openApiDocument, openApiModule } from "./openapi.ts";
import type { OpsRoute } from "./route-table.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import type { AlertProvider } from "../../provider/alert-provider.ts";
import type { Silences } from "../../silence/silences.ts";
import type { NotificationLog } from "../../nflog/nflog.ts";
import type { RoutingTable } from "../../dispatch/routing-table.ts";
import type { AggregationGroup } from "../../dispatch/aggr-group.ts";
import type { Muting } from "../../notify/muting-stages.ts";
import type { Notifier } from "../../notify/notifier.ts";
import type { TimeIntervalSet } from "../../timeinterval/index.ts";
import type { AuditStore } from "../../store/audit-repo.ts";
import type { AckBook } from "../../ops/acks.ts";
import { ackModule } from "./ack-routes.ts";
import type { ExplainReads } from "../../store/explain-repo.ts";
import type { StatsSource } from "../../ops/stats.ts";
import type { NoiseView } from "../../ops/explain.ts";
import { explainModule } from "./explain-routes.ts";
import { statsModule } from "./stats-routes.ts";
import type { HistoryReads } from "../../store/history-repo.ts";
import { historyModule } from "./history-routes.ts";
import type { UnusualAlerts } from "../../ops/unusual-service.ts";
import { auditModule } from "./audit-routes.ts";
import { anomalyModule } from "./anomaly-routes.ts";
import { nowModule } from "./now-routes.ts";
import { silenceModule } from "./silence-routes.ts";
import type { RuleStatus } from "../../anomaly/rules/engine.ts";
import { heartbeatModule } from "./heartbeat-routes.ts";
import type { HeartbeatListing } from "../../heartbeat-control.ts";

/** What the ops API reads and acts on, from the running app (getters: a reload is seen at once). */
export interface OpsApiDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly provider: AlertProvider;
  readonly silences: Silences;
  readonly nflog: NotificationLog;
  /** Every write through the ops API is recorded here (in the same commit unit as the write). */
  readonly auditRepo: AuditStore;
  /** Acknowledgements and comments (writes). */
  readonly acks: AckBook;
  /** Reads behind explain (series, lifecycle events, acks) and statistics. */
  readonly explainRepo: ExplainReads;
  readonly statsRepo: StatsSource;
  /** Storm and flap state now, read only (explain). */
  readonly noise: NoiseView;
  /** History, timelines, deliveries and storms (read only). */
  readonly historyRepo: HistoryReads;
  /** Unusual alerts: the outlier class of an alert's episode (GET /alerts/{fingerprint}). */
  readonly unusual?: UnusualAlerts;
  readonly version: string;
  /** Anomaly rules and predictions now (absent: none configured). */
  readonly anomalyRules?: () => readonly RuleStatus[];
  /** Heartbeats now (absent: none configured). */
  readonly heartbeats?: () => readonly HeartbeatListing[];
  routing(): RoutingTable;
  /** The dispatcher's aggregation groups now (for explain: group keys, next flush). */
  groups(): readonly AggregationGroup[];
  muting(): Muting;
  timeIntervals(): TimeIntervalSet;
  notifiers(receiver: string): readonly Notifier[];
}

/** Every module of the ops API, and the OpenAPI document made from them. */
export function opsRoutes(deps: OpsApiDeps): OpsRoute[] {
  const modules: OpsModule[] = [];
  modules.push(auditModule(deps), anomalyModule(deps), heartbeatModule(deps));
  modules.push(explainModule(deps), statsModule(deps));
  modules.push(ackModule(deps), nowModule(deps), silenceModule(deps));
  // Last: its /alerts/:fingerprint would capture other modules' /alerts/<word> routes registered after it.
  modules.push(historyModule(deps));
  const all: OpsModule[] = [...modules];
  all.push(openApiModule(() => openApiDocument(all, deps.version)));
  return all.flatMap((m) => [...m.routes]);
}
