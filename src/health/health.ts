/**
 * The health of each part of AlertPrism, kept in memory and fed by events as they happen (storage
 * commits, config loads, dispatcher start/stop, delivery attempts, Prometheus queries). Reading it never
 * touches the database or the network, so GET /health answers at once even while SQLite is locked or
 * slow. No HTTP here: the route renders `report()`.
 *
 * Rules (the worst component decides the overall status; `unknown` counts as ok):
 * - database   down      while the last write that reached storage failed (writes are answered 503)
 * - config     degraded  while the last reload failed (the previous configuration stays in force)
 * - dispatcher down      while it is not running (before start, after stop)
 * - receivers  degraded  while the last attempt of any of the receiver's integrations failed
 * - prometheus degraded  while the last evaluation of any anomaly rule or prediction failed; present
 *                        only while such rules are configured
 */
import { redactUrls } from "../lib/redact.ts";

export type OverallStatus = "ok" | "degraded" | "down";
export type ComponentStatus = OverallStatus | "unknown";

export interface DatabaseHealth {
  readonly status: ComponentStatus;
  /** Whether the last write that reached storage committed (true before the first write). */
  readonly lastWriteOk: boolean;
  readonly lastError?: string;
  readonly failingSince?: string;
}

export interface ConfigHealth {
  readonly status: ComponentStatus;
  /** When the configuration in force was loaded (start-up or the last successful reload). */
  readonly loadedAt: string;
  readonly lastReloadError?: string;
  readonly lastReloadFailedAt?: string;
}

export interface IntegrationHealth {
  readonly lastOutcome: "success" | "failed";
  readonly lastAttemptAt: string;
  readonly lastError?: string;
}

export interface ReceiverHealth {
  readonly status: ComponentStatus;
  /** The outcome of the receiver's latest attempt (any integration); absent before the first. */
  readonly lastOutcome?: "success" | "failed";
  readonly lastAttemptAt?: string;
  /** The error of a failing integration (the latest one), redacted. */
  readonly lastError?: string;
  /** Per integration (`<kind>/<index>`, as in the delivery log). */
  readonly integrations: Readonly<Record<string, IntegrationHealth>>;
}

export interface PrometheusHealth {
  readonly status: ComponentStatus;
  readonly lastQueryAt?: string;
  readonly lastError?: string;
  /** Rules whose last evaluation failed. */
  readonly failingRules: readonly string[];
}

/** A replica sharing a PostgreSQL database with others (storage.backend postgres). */
export interface ClusterHealth {
  readonly status: ComponentStatus;
  readonly replica: string;
  /** sender: holds the lease and sends notifications; standby: accepts alerts and API calls, sends nothing. */
  readonly role: "sender" | "standby";
  /** Set while the database cannot be reached: this replica sends nothing and answers reads from memory. */
  readonly warning?: string;
  readonly unreachableSince?: string;
}

export interface HealthReport {
  readonly status: OverallStatus;
  readonly components: {
    readonly database: DatabaseHealth;
    readonly config: ConfigHealth;
    readonly dispatcher: { readonly status: ComponentStatus };
    readonly receivers: Readonly<Record<string, ReceiverHealth>>;
    readonly prometheus?: PrometheusHealth;
    readonly cluster?: ClusterHealth;
  };
}

interface Attempt { ok: boolean; atMs: number; error: string | undefined }

const iso = (ms: number): string => new Date(ms).toISOString();
const RANK: Record<ComponentStatus, number> = { unknown: 0, ok: 0, degraded: 1, down: 2 };

export class HealthModel {
  private dbFailure: { sinceMs: number; error: string } | undefined;
  private configLoadedMs: number;
  private reloadFailure: { atMs: number; error: string } | undefined;
  private dispatcherRunning = false;
  private receiverNames: readonly string[] = [];
  /** receiver → integration → its last attempt. */
  private readonly attempts = new Map<string, Map<string, Attempt>>();
  private prometheusRules: ReadonlySet<string> | undefined;
  private readonly evaluations = new Map<string, Attempt>();
  private clusterState: { replica: string; sending: boolean; unreachable?: { sinceMs: number; error: string } } | undefined;

  constructor(startedMs: number) {
    this.configLoadedMs = startedMs;
  }

  /** A write that reached storage failed (`error`), or committed (undefined). */
  databaseWrite(atMs: number, error: string | undefined): void {
    if (error === undefined) this.dbFailure = undefined;
    else this.dbFailure = { sinceMs: this.dbFailure?.sinceMs ?? atMs, error };
  }

  /** A configuration was loaded and is now in force; `receivers`: its receiver names. */
  configLoaded(atMs: number, receivers: readonly string[]): void {
    this.configLoadedMs = atMs;
    this.reloadFailure = undefined;
    this.receiverNames = [...receivers];
    // Receivers that are gone take their outcomes with them.
    for (const name of [...this.attempts.keys()]) if (!receivers.includes(name)) this.attempts.delete(name);
  }

  /** A reload failed; the previous configuration stays in force. */
  configReloadFailed(atMs: number, error: string): void {
    this.reloadFailure = { atMs, error };
  }

  /** This replica's place in its cluster: whether it is the sender, and whether the database answers. */
  cluster(atMs: number, replica: string, sending: boolean, unreachableError: string | undefined): void {
    const was = this.clusterState?.unreachable;
    const unreachable = unreachableError === undefined ? undefined : { sinceMs: was?.sinceMs ?? atMs, error: unreachableError };
    this.clusterState = { replica, sending, ...(unreachable ? { unreachable } : {}) };
  }

  dispatcher(running: boolean): void {
    this.dispatcherRunning = running;
  }

  /** One send attempt of a receiver's integration (`integration`: `<kind>/<index>`). */
  deliveryAttempt(receiver: string, integration: string, atMs: number, ok: boolean, error?: string): void {
    if (!this.receiverNames.includes(receiver)) return; // an outbox replay for a receiver no longer configured
    let byIntegration = this.attempts.get(receiver);
    if (!byIntegration) this.attempts.set(receiver, (byIntegration = new Map()));
    byIntegration.set(integration, { ok, atMs, error: ok ? undefined : (error ?? "failed") });
  }

  /** The anomaly rules and predictions that query Prometheus now (none: the component is not shown). */
  prometheusRulesConfigured(rules: readonly string[]): void {
    this.prometheusRules = rules.length > 0 ? new Set(rules) : undefined;
    for (const name of [...this.evaluations.keys()]) if (!rules.includes(name)) this.evaluations.delete(name);
  }

  /** One evaluation of a rule against Prometheus. */
  prometheusQuery(rule: string, atMs: number, ok: boolean, error?: string): void {
    if (!this.prometheusRules?.has(rule)) return;
    this.evaluations.set(rule, { ok, atMs, error: ok ? undefined : (error ?? "failed") });
  }

  report(): HealthReport {
    const database: DatabaseHealth = this.dbFailure
      ? { status: "down", lastWriteOk: false, lastError: redactUrls(this.dbFailure.error), failingSince: iso(this.dbFailure.sinceMs) }
      : { status: "ok", lastWriteOk: true };
    const config: ConfigHealth = this.reloadFailure
      ? { status: "degraded", loadedAt: iso(this.configLoadedMs), lastReloadError: redactUrls(this.reloadFailure.error), lastReloadFailedAt: iso(this.reloadFailure.atMs) }
      : { status: "ok", loadedAt: iso(this.configLoadedMs) };
    const c = this.clusterState;
    // A standby's dispatcher is off by design: another replica sends.
    const dispatcher = { status: (this.dispatcherRunning || (c !== undefined && !c.sending) ? "ok" : "down") as ComponentStatus };
    const cluster: ClusterHealth | undefined = c && {
      status: c.unreachable ? "degraded" : "ok",
      replica: c.replica,
      role: c.sending ? "sender" : "standby",
      ...(c.unreachable ? { warning: `PostgreSQL unreachable: not sending, answering reads from memory (${redactUrls(c.unreachable.error)})`, unreachableSince: iso(c.unreachable.sinceMs) } : {}),
    };
    const receivers: Record<string, ReceiverHealth> = {};
    for (const name of this.receiverNames) receivers[name] = this.receiverHealth(name);
    const prometheus = this.prometheusHealth();
    const statuses = [database.status, config.status, dispatcher.status, ...Object.values(receivers).map((r) => r.status), ...(prometheus ? [prometheus.status] : []), ...(cluster ? [cluster.status] : [])];
    const worst = statuses.reduce<ComponentStatus>((w, s) => (RANK[s] > RANK[w] ? s : w), "ok");
    return {
      status: worst === "unknown" ? "ok" : worst,
      components: { database, config, dispatcher, receivers, ...(prometheus ? { prometheus } : {}), ...(cluster ? { cluster } : {}) },
    };
  }

  private receiverHealth(name: string): ReceiverHealth {
    const byIntegration = [...(this.attempts.get(name) ?? new Map<string, Attempt>())].sort(([a], [b]) => a.localeCompare(b));
    if (byIntegration.length === 0) return { status: "unknown", integrations: {} };
    const integrations: Record<string, IntegrationHealth> = {};
    for (const [id, a] of byIntegration) {
      integrations[id] = { lastOutcome: a.ok ? "success" : "failed", lastAttemptAt: iso(a.atMs), ...(a.error !== undefined ? { lastError: redactUrls(a.error) } : {}) };
    }
    const latest = byIntegration.map(([, a]) => a).reduce((l, a) => (a.atMs >= l.atMs ? a : l));
    const failing = byIntegration.map(([, a]) => a).filter((a) => !a.ok).sort((a, b) => b.atMs - a.atMs)[0];
    return {
      status: failing ? "degraded" : "ok",
      lastOutcome: latest.ok ? "success" : "failed",
      lastAttemptAt: iso(latest.atMs),
      ...(failing?.error !== undefined ? { lastError: redactUrls(failing.error) } : {}),
      integrations,
    };
  }

  private prometheusHealth(): PrometheusHealth | undefined {
    if (!this.prometheusRules) return undefined;
    const all = [...this.evaluations];
    if (all.length === 0) return { status: "unknown", failingRules: [] };
    const failing = all.filter(([, a]) => !a.ok).sort(([, a], [, b]) => b.atMs - a.atMs);
    const lastQueryMs = Math.max(...all.map(([, a]) => a.atMs));
    const lastError = failing[0]?.[1].error;
    return {
      status: failing.length > 0 ? "degraded" : "ok",
      lastQueryAt: iso(lastQueryMs),
      ...(lastError !== undefined ? { lastError: redactUrls(lastError) } : {}),
      failingRules: failing.map(([rule]) => rule).sort(),
    };
  }
}

/** HTTP status of a report: orchestrators and load balancers read 503 as "take it out". */
export function healthHttpStatus(report: HealthReport): 200 | 503 {
  return report.status === "down" ? 503 : 200;
}
