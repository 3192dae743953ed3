import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** What the anomaly gauges read of one rule (series: its label set as text). */
export interface AnomalyRuleMetrics {
  readonly rule: string;
  readonly health: "unknown" | "ok" | "error";
  readonly lastEvaluationSeconds: number | undefined;
  readonly series: ReadonlyArray<{ readonly series: string; readonly score?: number; readonly timeToThresholdSeconds?: number }>;
}

/**
 * prom-client's default metrics (CPU, memory, handles, event-loop lag, GC durations) describe the process,
 * and collecting them starts a GC observer and an event-loop histogram that nothing can stop: collected once
 * per process into their own registry, never once per App (each stopped App would stay reachable from its
 * observer, with everything it held).
 */
let processRegistry: Registry | undefined;

function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The metrics of one App. Names follow Alertmanager's where the meaning is the same, so existing
 * dashboards and alert rules keep working; AlertPrism's own use the alertprism_ prefix.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly alertsReceived = new Counter({ name: "alertmanager_alerts_received_total", help: "Alerts received by the API.", labelNames: ["status", "version"], registers: [this.registry] });
  readonly alertsInvalid = new Counter({ name: "alertmanager_alerts_invalid_total", help: "Received alerts that were invalid.", labelNames: ["version"], registers: [this.registry] });
  readonly configLastReloadSuccessful = new Gauge({ name: "alertmanager_config_last_reload_successful", help: "Whether the last configuration reload succeeded.", registers: [this.registry] });
  readonly configLastReloadSuccessTime = new Gauge({ name: "alertmanager_config_last_reload_success_timestamp_seconds", help: "Time of the last successful configuration reload.", registers: [this.registry] });
  readonly httpDuration = new Histogram({ name: "alertprism_http_request_duration_seconds", help: "HTTP request latency.", labelNames: ["method", "handler", "code"], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers: [this.registry] });
  readonly storageErrors = new Counter({ name: "alertprism_storage_errors_total", help: "Failed storage operations.", labelNames: ["operation"], registers: [this.registry] });
  readonly storageWriteFailures = new Counter({ name: "alertprism_storage_write_failures_total", help: "Write units not stored because storage refused them, by SQLite code (SQLITE_FULL: disk or database full).", labelNames: ["code"], registers: [this.registry] });
  readonly storageWriteFailing = new Gauge({ name: "alertprism_storage_write_failing", help: "1 while the last write that reached storage failed (writes are answered 503).", registers: [this.registry] });
  readonly commitBatchSize = new Histogram({ name: "alertprism_storage_commit_units", help: "Write units committed together by group commit.", buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers: [this.registry] });
  readonly notifications = new Counter({ name: "alertmanager_notifications_total", help: "Notification attempts.", labelNames: ["integration"], registers: [this.registry] });
  readonly notificationsFailed = new Counter({ name: "alertmanager_notifications_failed_total", help: "Failed notification attempts.", labelNames: ["integration", "reason"], registers: [this.registry] });
  readonly notificationLatency = new Histogram({ name: "alertmanager_notification_latency_seconds", help: "Latency of notification attempts.", labelNames: ["integration"], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10], registers: [this.registry] });
  readonly deliveryDuration = new Histogram({ name: "alertprism_notification_delivery_duration_seconds", help: "Time from a notification's decision until it was delivered or given up (outcome), retries and back-off included.", labelNames: ["integration", "outcome"], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300], registers: [this.registry] });
  readonly firewallRefused = new Counter({ name: "alertprism_notifications_firewall_refused_total", help: "Notification attempts refused by notify.firewall (destination in a blocked range).", labelNames: ["integration"], registers: [this.registry] });
  readonly outboxReplayed = new Counter({ name: "alertprism_outbox_replayed_total", help: "Undelivered notifications found at start-up, by outcome.", labelNames: ["outcome"], registers: [this.registry] });
  readonly templateErrors = new Counter({ name: "alertprism_template_errors_total", help: "Template render errors at send time (the field fell back to its built-in default).", registers: [this.registry] });
  readonly stormActive = new Gauge({ name: "alertprism_storm_active", help: "1 while the receiver is in an alert storm (its notifications held, a summary sent instead).", labelNames: ["receiver"], registers: [this.registry] });
  readonly stormHeldNotifications = new Counter({ name: "alertprism_storm_held_notifications_total", help: "Group notifications that were due but held by a storm (their alerts covered by its summary).", labelNames: ["receiver"], registers: [this.registry] });
  readonly anomalyEvaluationDuration = new Histogram({ name: "alertprism_anomaly_evaluation_duration_seconds", help: "Duration of one evaluation of an anomaly rule or prediction (query and scoring).", labelNames: ["rule"], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry] });
  readonly ruleEvaluationFailures = new Counter({ name: "alertprism_rule_evaluation_failures_total", help: "Evaluations of an anomaly rule or prediction that failed (Prometheus unreachable, query error).", labelNames: ["rule"], registers: [this.registry] });
  readonly historyPruned = new Counter({ name: "alertprism_history_pruned_events_total", help: "History events removed by retention.", registers: [this.registry] });
  readonly limitRejections = new Counter({ name: "alertprism_limit_rejections_total", help: "Alerts, silences and group creations refused by a limit of alertprism.yml (limit: its key under limits:).", labelNames: ["limit"], registers: [this.registry] });

  readonly contentType = this.registry.contentType;

  constructor() {
    // Series start at 0 so rate()/increase() in alert rules see the first failure, not just later ones.
    for (const operation of ["put_alerts", "silence_gc", "history_retention"]) this.storageErrors.inc({ operation }, 0);
    for (const code of ["SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CORRUPT"]) this.storageWriteFailures.inc({ code }, 0);
    for (const integration of ["webhook", "slack", "pagerduty", "email", "dingtalk"]) {
      this.notifications.inc({ integration }, 0);
      for (const reason of ["clientError", "serverError"]) this.notificationsFailed.inc({ integration, reason }, 0);
    }
  }

  /** The text GET /metrics serves: the process's default metrics and this App's. */
  exposition(): Promise<string> {
    return Registry.merge([processMetrics(), this.registry]).metrics();
  }

  /**
   * alertprism_limit (the configured value) and alertprism_limit_usage (what counts against it now) per
   * limit, computed at scrape time; usage is given for the count limits only.
   */
  registerLimitGauges(limits: () => Readonly<Record<string, number>>, usage: () => Readonly<Record<string, number>>): void {
    const gauge = (name: string, help: string, values: () => Readonly<Record<string, number>>) => new Gauge({
      name, help, labelNames: ["limit"], registers: [this.registry],
      collect() {
        for (const [limit, v] of Object.entries(values())) this.set({ limit }, v);
      },
    });
    gauge("alertprism_limit", "The value of each limit of alertprism.yml (defaults included).", limits);
    gauge("alertprism_limit_usage", "What counts against each count limit now (max_alerts_per_alertname: the largest alertname).", usage);
  }

  /** alertprism_storage_size_bytes{file}: the database's files on disk, computed at scrape time. */
  registerStorageSizeGauge(bytes: () => Promise<Readonly<Record<string, number>>>): void {
    new Gauge({
      name: "alertprism_storage_size_bytes", help: "Bytes the database takes (SQLite, on disk: file database, wal; PostgreSQL: file database).", labelNames: ["file"], registers: [this.registry],
      async collect() {
        // A database that cannot answer now keeps the last figures: a scrape must not fail for one gauge.
        const now = await bytes().catch(() => ({}));
        for (const [file, v] of Object.entries(now)) this.set({ file }, v);
      },
    });
  }

  /** alertprism_flapping_alerts, computed at scrape time. */
  registerFlappingGauge(count: () => number): void {
    new Gauge({
      name: "alertprism_flapping_alerts", help: "Alerts that flap now (notified as firing until they settle).", registers: [this.registry],
      collect() {
        this.set(count());
      },
    });
  }

  /**
   * Per-rule gauges of anomaly rules and predictions, computed at scrape time from the engine's state:
   * bounded by the rules' max_series, and a series that is no longer tracked disappears with it.
   */
  registerAnomalyGauges(rules: () => ReadonlyArray<AnomalyRuleMetrics>): void {
    const perRule = (name: string, help: string, value: (r: AnomalyRuleMetrics) => number | undefined) => new Gauge({
      name, help, labelNames: ["rule"], registers: [this.registry],
      collect() {
        this.reset();
        for (const r of rules()) {
          const v = value(r);
          if (v !== undefined) this.set({ rule: r.rule }, v);
        }
      },
    });
    const perSeries = (name: string, help: string, value: (s: AnomalyRuleMetrics["series"][number]) => number | undefined) => new Gauge({
      name, help, labelNames: ["rule", "series"], registers: [this.registry],
      collect() {
        this.reset();
        for (const r of rules()) {
          for (const s of r.series) {
            const v = value(s);
            if (v !== undefined && Number.isFinite(v)) this.set({ rule: r.rule, series: s.series }, v);
          }
        }
      },
    });
    perRule("alertprism_rule_health", "1 when the rule's last evaluation succeeded, 0 when it failed (the error is in GET /api/ops/v1/anomaly/rules).", (r) => (r.health === "unknown" ? undefined : r.health === "ok" ? 1 : 0));
    perRule("alertprism_rule_last_evaluation_timestamp_seconds", "When the rule was last evaluated.", (r) => r.lastEvaluationSeconds);
    perRule("alertprism_rule_series", "Series the rule tracks.", (r) => r.series.length);
    perSeries("alertprism_anomaly_score", "The last anomaly score of each series of an anomaly rule (0–1).", (s) => s.score);
    perSeries("alertprism_prediction_time_to_threshold_seconds", "Predicted time until each series of a prediction crosses its threshold.", (s) => s.timeToThresholdSeconds);
  }

  /**
   * Per-heartbeat gauges, computed at scrape time (heartbeat: its matchers as text); a heartbeat removed
   * from the configuration disappears with it.
   */
  registerHeartbeatGauges(heartbeats: () => ReadonlyArray<{ readonly heartbeat: string; readonly missing: boolean; readonly lastArrivalSeconds: number | undefined }>): void {
    new Gauge({
      name: "alertprism_heartbeat_missing", help: "1 while the heartbeat is missing (no matching firing alert within its timeout; HeartbeatMissing fires).", labelNames: ["heartbeat"], registers: [this.registry],
      collect() {
        this.reset();
        for (const h of heartbeats()) this.set({ heartbeat: h.heartbeat }, h.missing ? 1 : 0);
      },
    });
    new Gauge({
      name: "alertprism_heartbeat_last_arrival_timestamp_seconds", help: "When a firing alert matching the heartbeat was last received (absent until the first one).", labelNames: ["heartbeat"], registers: [this.registry],
      collect() {
        this.reset();
        for (const h of heartbeats()) if (h.lastArrivalSeconds !== undefined) this.set({ heartbeat: h.heartbeat }, h.lastArrivalSeconds);
      },
    });
  }

  /** Gauges computed at scrape time from the live state (counts by state). */
  registerStateGauges(alertCounts: () => Record<string, number>, silenceCounts: () => Record<string, number>): void {
    const gauge = (name: string, help: string, counts: () => Record<string, number>) =>
      new Gauge({
        name, help, labelNames: ["state"], registers: [this.registry],
        collect() {
          for (const [state, n] of Object.entries(counts())) this.set({ state }, n);
        },
      });
    gauge("alertmanager_alerts", "Alerts in the live set by state.", alertCounts);
    gauge("alertmanager_silences", "Silences by state.", silenceCounts);
  }
}
