import type { Alert } from "../../types/alert.ts";
import type { Clock } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import type { AlertProvider } from "../../provider/alert-provider.ts";
import type { Silences } from "../../silence/silences.ts";
import type { RoutingTable } from "../../dispatch/routing-table.ts";
import type { IncomingAlert } from "../../ingest/normalise.ts";
import type { Timestamp } from "../../types/time.ts";

/** What the API needs from the running app; the app passes getters so a reload is seen at once. */
export interface ApiContext {
  readonly clock: Clock;
  readonly log: Logger;
  readonly provider: AlertProvider;
  readonly silences: Silences;
  readonly startedAt: Timestamp;
  routing(): RoutingTable;
  /** The receivers an alert goes to: its routes' (the pinned route of a storm summary or HeartbeatMissing, or the tree's). */
  receiversFor(alert: Alert): readonly string[];
  originalConfig(): string;
  /**
   * Normalises, validates and stores alerts; resolves after commit with the per-alert errors and the
   * refusals by alertprism.yml's limits (the rest of the batch is committed either way).
   */
  ingest(alerts: readonly IncomingAlert[], resolveTimeoutMs?: number): Promise<{ errors: string[]; limited: string[] }>;
  /** Writes an audit record; called inside the commit unit of the change it records (auth on only). */
  audit?(entry: { actor: string; action: string; target: string; detail: Readonly<Record<string, unknown>> }): void;
  /** /api/v2/status's cluster when replicas share a database; absent: "disabled", as a lone Alertmanager. */
  cluster?(): ClusterStatus;
}

/** Alertmanager's clusterStatus: this peer's name, "ready", and the live peers (itself included). */
export interface ClusterStatus {
  readonly name: string;
  readonly status: "ready" | "settling" | "disabled";
  readonly peers: ReadonlyArray<{ readonly name: string; readonly address: string }>;
}
