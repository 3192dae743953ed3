import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Process-wide metrics. Names follow Alertmanager's where the meaning is the same, so existing
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
  readonly commitBatchSize = new Histogram({ name: "alertprism_storage_commit_units", help: "Write units committed together by group commit.", buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers: [this.registry] });
  readonly notifications = new Counter({ name: "alertmanager_notifications_total", help: "Notification attempts.", labelNames: ["integration"], registers: [this.registry] });
  readonly notificationsFailed = new Counter({ name: "alertmanager_notifications_failed_total", help: "Failed notification attempts.", labelNames: ["integration", "reason"], registers: [this.registry] });
  readonly notificationLatency = new Histogram({ name: "alertmanager_notification_latency_seconds", help: "Latency of notification attempts.", labelNames: ["integration"], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10], registers: [this.registry] });
  readonly outboxReplayed = new Counter({ name: "alertprism_outbox_replayed_total", help: "Undelivered notifications found at start-up, by outcome.", labelNames: ["outcome"], registers: [this.registry] });
  readonly templateErrors = new Counter({ name: "alertprism_template_errors_total", help: "Template render errors at send time (the field fell back to its built-in default).", registers: [this.registry] });
  readonly stormActive = new Gauge({ name: "alertprism_storm_active", help: "1 while the receiver is in an alert storm (its notifications held, a summary sent instead).", labelNames: ["receiver"], registers: [this.registry] });
  readonly stormHeldNotifications = new Counter({ name: "alertprism_storm_held_notifications_total", help: "Group notifications that were due but held by a storm (their alerts covered by its summary).", labelNames: ["receiver"], registers: [this.registry] });
  readonly historyPruned = new Counter({ name: "alertprism_history_pruned_events_total", help: "History events removed by retention.", registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Series start at 0 so rate()/increase() in alert rules see the first failure, not just later ones.
    for (const operation of ["put_alerts", "silence_gc", "history_retention"]) this.storageErrors.inc({ operation }, 0);
    for (const integration of ["webhook", "slack", "pagerduty", "email", "dingtalk"]) {
      this.notifications.inc({ integration }, 0);
      for (const reason of ["clientError", "serverError"]) this.notificationsFailed.inc({ integration, reason }, 0);
    }
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
