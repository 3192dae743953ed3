import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "./lib/clock.ts";
import { SystemClock } from "./lib/clock.ts";
import { scheduleLocal, type ScheduledTask } from "./lib/local-schedule.ts";
import { createLogger, type Logger } from "./lib/log.ts";
import { ConfigError, errorMessage } from "./lib/errors.ts";
import { fromMillis, type Timestamp } from "./types/time.ts";
import { StorageHealth } from "./store/storage-health.ts";
import type { Stores } from "./store/stores.ts";
import { openSqliteStores, type SqliteStores } from "./store/sqlite-stores.ts";
import type { PgStores } from "./store/pg/stores.ts";
import type { PgCluster } from "./store/pg/cluster.ts";
import type { WriteQueue } from "./store/write-queue.ts";
import type { AlertsStore } from "./store/alerts-repo.ts";
import type { NotifyStore } from "./store/notify-repo.ts";
import type { NoiseStore } from "./store/noise-repo.ts";
import type { AuditStore } from "./store/audit-repo.ts";
import { Silences } from "./silence/silences.ts";
import { AlertProvider } from "./provider/alert-provider.ts";
import { mutingStatus, type StatusSource } from "./provider/status.ts";
import { Dispatcher } from "./dispatch/dispatcher.ts";
import type { Inhibitor } from "./inhibit/inhibitor.ts";
import { loadRuntimeConfig, type RuntimeConfig } from "./runtime-config.ts";
import { createDingTalkChannel, type DingTalkChannel } from "./notify/dingtalk/config.ts";
import { ConfigWatcher } from "./config/watcher.ts";
import { NoiseControl } from "./noise-control.ts";
import { HeartbeatControl } from "./heartbeat-control.ts";
import type { Route } from "./dispatch/route.ts";
import { AckServices } from "./ops/ack-services.ts";
import { UnusualAlerts } from "./ops/unusual-service.ts";
import { opsRoutes, type OpsApiDeps } from "./api/ops/modules.ts";
import { opsAuthenticator } from "./api/auth-guard.ts";
import { Authenticator, type AuthSettings } from "./auth/index.ts";
import { NotificationLog } from "./nflog/nflog.ts";
import { NotifyPipeline, type Muting } from "./notify/pipeline.ts";
import { FirewallBlockedError } from "./notify/firewall.ts";
import { normaliseAlerts, type IncomingAlert } from "./ingest/normalise.ts";
import { Metrics } from "./metrics/metrics.ts";
import { HealthModel } from "./health/health.ts";
import { silenceState } from "./types/silence.ts";
import { createHttpApp } from "./api/server.ts";
import type { ApiContext } from "./api/v2/context.ts";
import { databaseFile, parseListenAddress, type PostgresSettings, type Settings } from "./settings.ts";
import { VERSION } from "./version.ts";
import { AnomalyEngine } from "./anomaly/rules/engine.ts";
import { labelSetString } from "./types/labels.ts";
import { LIMIT_KEYS, LIMIT_NAMES, limitsByKey } from "./limits/limits.ts";
import { withinAlertSize } from "./limits/alert-size.ts";
import { countRefusalMessages, quoteName } from "./limits/messages.ts";
import { ThrottledReport } from "./lib/throttled-report.ts";
import type { Alert } from "./types/alert.ts";
import { BatchTracer, NO_TRACING, annotateCurrentSpan, type Tracing } from "./lib/tracing.ts";
import { collectorOrigin, exportingTracing } from "./lib/otel-export.ts";

export interface AppOptions {
  readonly settings: Settings;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** The repositories to build on; absent: the SQLite database of the settings (see App.open for PostgreSQL). */
  readonly stores?: Stores;
}

type Runtime = RuntimeConfig;

/** How long a start-up replay of undelivered notifications may be retried (it runs beside the dispatcher). */
const OUTBOX_REPLAY_MS = 10_000;

/** How long an escalation notification may be retried before it waits in the outbox for the next start. */
const ESCALATION_SEND_MS = 60_000;

/** How long stopping waits for the last spans to reach the collector. */
const TRACE_FLUSH_MS = 6_000;

/** At most one log line per this period about alerts the aggregation group limit kept from dispatch. */
const GROUP_LIMIT_LOG_INTERVAL_MS = 60_000;

/** Composition root: builds and wires every component; start, stop and reload. */
export class App {
  readonly log: Logger;
  readonly metrics = new Metrics();
  /** Spans of requests, commits, flushes and deliveries; exported over OTLP/HTTP when configured. */
  private readonly tracing: Tracing;
  private readonly clock: Clock;
  private readonly stores: Stores;
  private readonly queue: WriteQueue;
  /** Whether storage accepts writes now (disk full, read-only, I/O errors); read by tests and logs. */
  readonly storageHealth: StorageHealth;
  /** GET /health: each component's state, fed by events here, read without touching the database. */
  readonly health: HealthModel;
  private readonly silences: Silences;
  private readonly alertsRepo: AlertsStore;
  private readonly provider: AlertProvider;
  private readonly notifyRepo: NotifyStore;
  private readonly nflog: NotificationLog;
  private readonly pipeline: NotifyPipeline;
  private readonly noise: NoiseControl;
  private readonly noiseRepo: NoiseStore;
  private readonly heartbeats: HeartbeatControl;
  private readonly ack: AckServices;
  private readonly unusual: UnusualAlerts;
  private readonly auditRepo: AuditStore;
  private readonly anomaly: AnomalyEngine;
  private authCache: { readonly settings: AuthSettings; readonly auth: Authenticator } | undefined;
  private dispatcher: Dispatcher | undefined;
  /** Replicas sharing a PostgreSQL database: this one's lease, peers and change feed (absent on SQLite). */
  private cluster: PgCluster | undefined;
  /** The takeover under way (re-reading the log and outbox, replaying it), so a quick loss waits for it. */
  private takeover: Promise<void> = Promise.resolve();
  private readonly dingtalk: DingTalkChannel;
  private watcher: ConfigWatcher | undefined;
  private runtime: Runtime;
  private server: Server | undefined;
  private readonly startedAt: Timestamp;
  private readonly maintenanceTasks: ScheduledTask[] = [];
  private ready = false;
  private stopping: Promise<void> | undefined;
  private readonly groupLimitReport: ThrottledReport<{ alert: Alert; receiver: string }>;

  /**
   * Builds the app on the backend the settings choose: SQLite synchronously (the constructor does it), or
   * PostgreSQL, which is connected to, migrated and loaded first. The pg driver is loaded only then.
   */
  static async open(opts: AppOptions): Promise<App> {
    const postgres = opts.settings.postgres;
    if (opts.stores || !postgres) return new App(opts);
    const log = opts.logger ?? createLogger({ level: opts.settings.logLevel, format: opts.settings.logFormat });
    const { openPgStores } = await import("./store/pg/stores.ts");
    const stores = await openPgStores({
      url: postgres.url,
      poolSize: postgres.poolSize,
      replicaId: postgres.replicaId,
      nowMs: (opts.clock ?? new SystemClock()).now(),
      connectionError: (message) => log.warn({ component: "store", err: message }, "a PostgreSQL connection failed; the pool opens another"),
    });
    try {
      return new App({ ...opts, logger: log, stores });
    } catch (err) {
      await stores.close().catch(() => undefined);
      throw err;
    }
  }

  constructor(private readonly opts: AppOptions) {
    const s = opts.settings;
    this.clock = opts.clock ?? new SystemClock();
    this.log = opts.logger ?? createLogger({ level: s.logLevel, format: s.logFormat });
    this.startedAt = fromMillis(this.clock.now());
    this.dingtalk = createDingTalkChannel({ clock: this.clock });
    this.runtime = this.buildRuntime();
    this.tracing = s.tracing ? exportingTracing(s.tracing, this.log.child({ component: "tracing" }), this.clock) : NO_TRACING;
    this.health = new HealthModel(this.clock.now());
    this.configLoaded();

    const stores = opts.stores ?? openSqliteStores({
      file: databaseFile(s),
      synchronous: s.synchronous,
      checkpointFailed: (message) => this.log.debug({ component: "store", err: message }, "background checkpoint failed; retrying"),
    });
    this.stores = stores;
    this.storageHealth = new StorageHealth({
      clock: this.clock,
      log: this.log.child({ component: "store" }),
      onFailure: (code, units, message) => {
        this.metrics.storageWriteFailures.inc({ code }, units);
        this.health.databaseWrite(this.clock.now(), message);
      },
      onState: (failing) => {
        this.metrics.storageWriteFailing.set(failing ? 1 : 0);
        if (!failing) this.health.databaseWrite(this.clock.now(), undefined);
      },
      onCommit: (units) => this.metrics.commitBatchSize.observe(units),
    });
    // Each group commit runs under the requests that submitted to it: their ids on its log lines, and a
    // span linked to theirs when tracing.
    const commits = new BatchTracer(this.tracing, "commit");
    const health = this.storageHealth;
    stores.observe({
      committed: (units, wrote) => {
        annotateCurrentSpan({ "alertprism.committed": units });
        health.committed(units, wrote);
      },
      failed: (error, units) => {
        annotateCurrentSpan({ "alertprism.failed": units });
        health.failed(error, units);
      },
      submitted: () => commits.submitted(),
      group: (units, run) => commits.batch(units, run),
    });
    this.queue = stores.queue;
    this.silences = new Silences(stores.silences, this.queue, this.clock, s.silenceRetentionMs, {
      current: () => this.runtime.limits,
      refused: (limit) => this.metrics.limitRejections.inc({ limit }),
    });
    this.groupLimitReport = new ThrottledReport(this.clock, GROUP_LIMIT_LOG_INTERVAL_MS, (count, { alert, receiver }) => {
      this.log.warn({
        component: "dispatch", notDispatched: count, limit: this.runtime.limits.maxAggregationGroups,
        example: { alertname: alert.labels.alertname ?? "", receiver },
      }, "aggregation group limit reached: alerts that need a new group are not dispatched (limits.max_aggregation_groups; count since the last report)");
    });
    this.alertsRepo = stores.alerts;
    this.auditRepo = stores.audit;
    this.provider = new AlertProvider({
      repo: this.alertsRepo,
      queue: this.queue,
      clock: this.clock,
      log: this.log.child({ component: "provider" }),
      status: this.statusSource(this.runtime.inhibitor),
      gcIntervalMs: s.gcIntervalMs,
      limits: () => this.runtime.limits,
    });
    this.notifyRepo = stores.notify;
    this.nflog = new NotificationLog(this.notifyRepo);
    this.noise = new NoiseControl({
      clock: this.clock,
      log: this.log.child({ component: "noise" }),
      queue: this.queue,
      repo: (this.noiseRepo = stores.noise),
      provider: this.provider,
      metrics: this.metrics,
      externalURL: s.externalUrl,
      routing: () => this.runtime.routing,
      neverHeld: (alert) => this.heartbeats.pinnedRoute(alert) !== undefined,
    });
    this.heartbeats = new HeartbeatControl({
      clock: this.clock,
      log: this.log.child({ component: "heartbeat" }),
      queue: this.queue,
      repo: stores.heartbeats,
      provider: this.provider,
      metrics: this.metrics,
      externalURL: s.externalUrl,
      routing: () => this.runtime.routing,
    });
    this.ack = new AckServices({
      clock: this.clock,
      log: this.log.child({ component: "ack" }),
      queue: this.queue,
      repo: stores.acks,
      audit: this.auditRepo,
      history: this.alertsRepo,
      alerts: this.provider,
      routing: () => this.runtime.routing,
      linkSettings: () => this.runtime.ops.ackLinks,
      escalationRules: () => this.runtime.ops.escalation,
      send: (receiver, key, labels, alerts) => this.pipeline.notifyReceiver(receiver, key, labels, alerts, this.clock.now() + ESCALATION_SEND_MS),
      recordDecisions: (rows) => this.noiseRepo.recordDecisions(rows),
      escalating: () => this.sending(),
    });
    const anomalyRepo = stores.anomaly;
    this.anomaly = new AnomalyEngine({
      clock: this.clock,
      log: this.log.child({ component: "anomaly" }),
      store: {
        load: (name) => anomalyRepo.load(name),
        save: (rule) => this.queue.submit(() => anomalyRepo.save(rule)),
        retain: async (keep) => {
          await this.queue.submit(() => anomalyRepo.retain(keep));
        },
      },
      send: (alerts) => this.ingest(alerts),
      observer: {
        evaluated: (rule, seconds, ok, error) => {
          this.metrics.anomalyEvaluationDuration.observe({ rule }, seconds);
          if (!ok) this.metrics.ruleEvaluationFailures.inc({ rule });
          this.health.prometheusQuery(rule, this.clock.now(), ok, error);
        },
      },
      userAgent: `AlertPrism/${VERSION}`,
    });
    this.unusual = new UnusualAlerts({ clock: this.clock, source: stores.unusual });
    this.pipeline = new NotifyPipeline({
      clock: this.clock,
      log: this.log.child({ component: "notify" }),
      queue: this.queue,
      repo: this.notifyRepo,
      nflog: this.nflog,
      externalURL: s.externalUrl,
      muting: () => this.muting(),
      stages: () => [this.ack.stage, ...this.noise.stages()],
      decorate: async (data, group) => this.ack.links.decorate(await this.unusual.decorate(data), group),
      decisions: this.noise.decisions,
      tracing: this.tracing,
      origin: (fp) => this.provider.get(fp)?.origin,
      // On a shared database only the lease holder sends; checked right before every attempt.
      maySend: () => this.sending(),
      notifiers: (receiver) => this.runtime.notifiers.get(receiver) ?? [],
      observer: {
        attempt: (integration, ok, durationMs, error, key) => {
          this.health.deliveryAttempt(key.receiver, key.integration, this.clock.now(), ok, error?.reason);
          this.metrics.notifications.inc({ integration });
          this.metrics.notificationLatency.observe({ integration }, durationMs / 1000);
          if (!ok) this.metrics.notificationsFailed.inc({ integration, reason: error?.retryable === false ? "clientError" : "serverError" });
          if (error instanceof FirewallBlockedError) this.metrics.firewallRefused.inc({ integration });
        },
        delivered: (integration, ok, durationMs) => this.metrics.deliveryDuration.observe({ integration, outcome: ok ? "delivered" : "failed" }, durationMs / 1000),
        covered: (receiver) => this.metrics.stormHeldNotifications.inc({ receiver }),
        notified: (key, firing, atMs) => this.ack.escalator.notified(key.groupKey, firing, atMs),
      },
    });
    const silenceCount = this.silences.load();
    const alertCount = this.provider.load();
    const logCount = this.nflog.load();
    // After the alerts: a missing heartbeat's alert (raised before the restart) is refreshed, not duplicated.
    this.heartbeats.configure(this.runtime.heartbeats);
    const restoredAcks = this.ack.load();
    this.silences.onChange((change) => this.provider.silencesChanged(change));
    this.log.info({ storage: stores.backend, db: stores.location, alerts: alertCount, silences: silenceCount, nflog: logCount, ...restoredAcks }, "state restored");
    this.registerGauges();
  }

  /** Whether this process sends notifications now: always alone, while holding the sender lease among replicas. */
  private sending(): boolean {
    return this.opts.settings.postgres === undefined || (this.cluster?.isSender() ?? false);
  }

  /** Tells the health model what the configuration now in force holds. */
  private configLoaded(): void {
    const { routing, anomaly } = this.runtime;
    this.health.configLoaded(this.clock.now(), routing.receiverNames);
    this.health.prometheusRulesConfigured(anomaly.prometheus ? anomaly.rules.map((r) => r.name) : []);
  }

  private buildRuntime(): Runtime {
    return loadRuntimeConfig(this.opts.settings, this.log, this.opts.env, this.dingtalk, () => this.metrics.templateErrors.inc());
  }

  /** Muting at flush time: inhibition, silences and time intervals of the current configuration. */
  private muting(): Muting {
    const { inhibitor, timeIntervals } = this.runtime;
    return {
      inhibitedBy: (a, now) => inhibitor.inhibitedBy(a, now),
      silencedBy: (a, now) => this.silences.mutedBy(a.labels, now),
      inInterval: (name, at) => timeIntervals.contains(name, at),
    };
  }

  private startDispatcher(): void {
    this.dispatcher?.stop();
    const provider = this.provider;
    this.dispatcher = new Dispatcher(this.runtime.routing.root, {
      current: () => [...provider.all()].map((e) => e.alert),
      subscribe: (listener) => provider.subscribe(listener),
    }, this.clock, this.pipeline.flush, (alert) => this.pinnedRoute(alert), {
      max: () => this.runtime.limits.maxAggregationGroups,
      limited: (alert, route) => {
        this.metrics.limitRejections.inc({ limit: LIMIT_KEYS.maxAggregationGroups });
        this.groupLimitReport.note({ alert, receiver: route.opts.receiver });
      },
    });
    this.dispatcher.start();
    this.health.dispatcher(true);
  }

  /** AlertPrism's own alerts that go straight to one receiver: storm summaries and HeartbeatMissing. */
  private pinnedRoute(alert: Alert): Route | undefined {
    return this.noise.pinnedRoute(alert) ?? this.heartbeats.pinnedRoute(alert);
  }

  private statusSource(inhibitor: Inhibitor): StatusSource {
    return mutingStatus(this.silences, inhibitor);
  }

  private registerGauges(): void {
    const { provider, silences, clock } = this;
    this.metrics.registerStateGauges(
      () => {
        const now = clock.now();
        const counts = { active: 0, suppressed: 0 };
        for (const { alert } of provider.all()) {
          if (alert.endsAt.ms < now) continue;
          const st = provider.statusOf(alert);
          counts[st.silencedBy.length || st.inhibitedBy.length ? "suppressed" : "active"]++;
        }
        return counts;
      },
      () => {
        const counts = { active: 0, pending: 0, expired: 0 };
        for (const s of silences.list()) counts[silenceState(s, clock.now())]++;
        return counts;
      },
    );
    this.metrics.registerStorageSizeGauge(() => this.stores.sizeBytes());
    this.metrics.registerAnomalyGauges(() => this.anomaly.status().map((st) => ({
      rule: st.rule.name,
      health: st.health,
      lastEvaluationSeconds: st.lastEvaluationAtMs === undefined ? undefined : st.lastEvaluationAtMs / 1000,
      series: st.series.map((s) => ({
        series: labelSetString(s.labels),
        ...(s.score !== undefined ? { score: s.score } : {}),
        ...(s.timeToThresholdMs !== undefined ? { timeToThresholdSeconds: s.timeToThresholdMs / 1000 } : {}),
      })),
    })));
    for (const limit of LIMIT_NAMES) this.metrics.limitRejections.inc({ limit }, 0);
    this.metrics.registerLimitGauges(
      () => limitsByKey(this.runtime.limits),
      () => ({
        [LIMIT_KEYS.maxAlerts]: provider.size,
        [LIMIT_KEYS.maxAlertsPerAlertname]: provider.largestAlertnameCount(),
        [LIMIT_KEYS.maxSilences]: silences.countUnexpired(),
        [LIMIT_KEYS.maxAggregationGroups]: this.dispatcher?.groupCount ?? 0,
      }),
    );
    this.metrics.configLastReloadSuccessful.set(1);
    this.metrics.configLastReloadSuccessTime.set(this.clock.now() / 1000);
  }

  private apiContext(): ApiContext {
    return {
      clock: this.clock,
      log: this.log,
      provider: this.provider,
      silences: this.silences,
      startedAt: this.startedAt,
      routing: () => this.runtime.routing,
      receiversFor: (alert) => {
        const pinned = this.pinnedRoute(alert);
        return pinned ? [pinned.opts.receiver] : this.runtime.routing.receiversFor(alert);
      },
      originalConfig: () => this.runtime.original,
      ingest: (alerts, resolveTimeoutMs) => this.ingest(alerts, resolveTimeoutMs),
      audit: (e) => this.auditRepo.record({ atMs: this.clock.now(), ...e }),
      ...(this.opts.settings.postgres ? { cluster: () => ({ name: this.opts.settings.postgres!.replicaId, status: "ready" as const, peers: this.cluster?.peers() ?? [] }) } : {}),
    };
  }

  /** The authenticator of the current `auth:` (a new one when a reload brings new settings). */
  private authenticator(): Authenticator | undefined {
    const settings = this.runtime.auth;
    if (!settings) return undefined;
    if (this.authCache?.settings !== settings) this.authCache = { settings, auth: new Authenticator(settings, () => this.clock.now()) };
    return this.authCache.auth;
  }

  /** POST /-/reload: reloads, then records who asked and the outcome in the audit log. */
  private async reloadBy(actor: string): Promise<void> {
    let error: unknown;
    try {
      await this.reload();
    } catch (err) {
      error = err;
    }
    const detail = error === undefined ? { ok: true } : { ok: false, error: errorMessage(error) };
    await this.queue.submit(() => this.auditRepo.record({ atMs: this.clock.now(), actor, action: "reload", target: "config", detail }))
      .catch((err: unknown) => this.log.error({ err: errorMessage(err) }, "cannot write the audit record of a reload"));
    if (error !== undefined) throw error;
  }

  private opsDeps(): OpsApiDeps {
    return {
      clock: this.clock,
      log: this.log.child({ component: "ops" }),
      provider: this.provider,
      silences: this.silences,
      nflog: this.nflog,
      auditRepo: this.auditRepo,
      acks: this.ack.acks,
      explainRepo: this.stores.explain,
      statsRepo: this.stores.stats,
      noise: this.noise,
      historyRepo: this.stores.history,
      unusual: this.unusual,
      version: VERSION,
      anomalyRules: () => this.anomaly.status(),
      heartbeats: () => this.heartbeats.list(),
      routing: () => this.runtime.routing,
      groups: () => this.dispatcher?.activeGroups() ?? [],
      muting: () => this.muting(),
      timeIntervals: () => this.runtime.timeIntervals,
      notifiers: (receiver) => this.runtime.notifiers.get(receiver) ?? [],
    };
  }

  /**
   * Applies the ingest rules of alertprism.yml (replica dedup, enrichment), then Alertmanager's defaults
   * and validation, then commits the valid alerts with the replica each came from. Alerts over a limit
   * are left out like invalid ones (the rest of the batch is committed) and reported in `limited`.
   */
  async ingest(received: readonly IncomingAlert[], resolveTimeoutMs?: number): Promise<{ errors: string[]; limited: string[] }> {
    const { alerts: incoming, sources } = this.runtime.ingestRules(received);
    const normalised = normaliseAlerts(incoming, this.clock.now(), resolveTimeoutMs ?? this.runtime.config.resolveTimeoutMs);
    const { errors } = normalised;
    if (errors.length > 0) this.metrics.alertsInvalid.inc({ version: "v2" }, errors.length);
    const limits = this.runtime.limits;
    const { kept: valid, inputIndex, messages: limited } = withinAlertSize(normalised.valid, normalised.inputIndex, limits.maxAlertSizeBytes);
    if (limited.length > 0) this.metrics.limitRejections.inc({ limit: LIMIT_KEYS.maxAlertSizeBytes }, limited.length);
    const now = this.clock.now();
    let firing = 0;
    for (const a of valid) if (a.endsAt.ms > now) firing++;
    if (firing > 0) this.metrics.alertsReceived.inc({ status: "firing", version: "v2" }, firing);
    if (valid.length - firing > 0) this.metrics.alertsReceived.inc({ status: "resolved", version: "v2" }, valid.length - firing);
    const { refused } = await this.provider.put(valid, inputIndex.map((i) => sources[i])).catch((err: unknown) => {
      this.metrics.storageErrors.inc({ operation: "put_alerts" });
      throw err;
    });
    for (const r of refused) this.metrics.limitRejections.inc({ limit: r.limit });
    const reported = refused.filter((r) => !r.resolved);
    if (reported.length > 0) {
      limited.push(...countRefusalMessages(reported, limits, this.provider.size));
      this.log.debug({ refused: reported.length, alertnames: [...new Set(reported.map((r) => quoteName(r.alertname)))].slice(0, 5) }, "new alerts refused by a count limit");
    }
    return { errors, limited };
  }

  /** Loads the config files again; an invalid new config keeps the old one and is reported. */
  async reload(): Promise<void> {
    let next: Runtime;
    try {
      next = this.buildRuntime();
    } catch (err) {
      this.metrics.configLastReloadSuccessful.set(0);
      this.health.configReloadFailed(this.clock.now(), errorMessage(err));
      this.log.error({ err: errorMessage(err) }, "configuration reload failed; keeping the previous configuration");
      throw err instanceof ConfigError ? err : new ConfigError(errorMessage(err));
    }
    this.runtime = next;
    this.configLoaded();
    this.provider.setStatusSource(this.statusSource(next.inhibitor));
    await this.noise.configure(next.noiseStages);
    this.heartbeats.configure(next.heartbeats);
    await this.anomaly.configure(next.anomaly);
    // Alertmanager rebuilds its dispatcher on reload; the notification log keeps it from re-notifying.
    if (this.dispatcher) this.startDispatcher();
    this.metrics.configLastReloadSuccessful.set(1);
    this.metrics.configLastReloadSuccessTime.set(this.clock.now() / 1000);
    this.log.info({ file: next.config.file }, "configuration reloaded");
  }

  async start(): Promise<AddressInfo> {
    const s = this.opts.settings;
    // After the alerts were restored (constructor): flap and storm state are restored against them and the
    // history, which is read asynchronously; before anything is listened to.
    await this.noise.configure(this.runtime.noiseStages);
    const opsAuth = opsAuthenticator(() => this.authenticator(), this.log.child({ component: "auth" }));
    const http = createHttpApp(this.apiContext(), {
      routePrefix: s.routePrefix,
      maxRequestBytes: s.maxRequestBytes,
      version: VERSION,
      metrics: this.metrics,
      isReady: () => this.ready,
      health: () => this.health.report(),
      reload: (actor) => this.reloadBy(actor ?? "local"),
      auth: () => this.authenticator(),
      ops: { routes: opsRoutes(this.opsDeps()), authenticator: () => opsAuth },
      ackLinks: this.ack.links,
      tracing: this.tracing,
      webhook: {
        bearerToken: s.webhookBearerToken,
        resolveTimeoutMs: s.webhookResolveTimeoutMs,
        ingest: (alerts, timeout) => this.ingest(alerts, timeout),
      },
    });
    this.provider.start();
    this.scheduleMaintenance();
    const { host, port } = parseListenAddress(s.listenAddress);
    const server = createServer(http);
    server.keepAliveTimeout = 65_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.ready = true;
    if (this.stores.backend === "postgres" && s.postgres) {
      // The dispatcher starts when this replica becomes the sender, perhaps never (another one is).
      await this.joinCluster(this.stores as PgStores, s.postgres);
    } else {
      // Not awaited: a replay to an endpoint that hangs would hold back every receiver until its deadline.
      // The pipeline makes a flush of the same group and integration wait for its replay.
      this.replayOutbox().catch((err: unknown) => this.log.error({ err: errorMessage(err) }, "replaying the outbox failed"));
      this.startDispatcher();
    }
    await this.anomaly.configure(this.runtime.anomaly);
    this.anomaly.start();
    this.watcher = new ConfigWatcher([s.configFile, ...(s.alertprismFile ? [s.alertprismFile] : [])], () => {
      this.reload().catch(() => undefined); // reload() logs the error and sets the metric
    }, this.log);
    const addr = server.address() as AddressInfo;
    this.log.info({ address: `${addr.address}:${addr.port}`, routePrefix: s.routePrefix, version: VERSION }, "listening");
    if (s.tracing) {
      this.log.info({ collector: collectorOrigin(s.tracing.url), serviceName: s.tracing.serviceName, samplingRatio: s.tracing.samplingRatio }, "tracing: on, spans exported over OTLP/HTTP");
    }
    const auth = this.authenticator();
    if (auth) this.log.info(auth.describe(), "auth: on for the ops API, /-/reload and (per alertmanager_api) /api/v2");
    else this.log.warn("no auth: section in alertprism.yml: the ops API (/api/ops/v1) answers only on loopback addresses");
    return addr;
  }

  /**
   * Joins the replicas on the shared database: their writes reach this one's memory through the change
   * feed, and the dispatcher runs while this replica holds the sender lease.
   */
  private async joinCluster(stores: PgStores, pgSettings: PostgresSettings): Promise<void> {
    const log = this.log.child({ component: "cluster", replica: pgSettings.replicaId });
    const { PgCluster } = await import("./store/pg/cluster.ts");
    let unreachable: string | undefined;
    const report = () => this.health.cluster(this.clock.now(), pgSettings.replicaId, this.cluster?.isSender() ?? false, unreachable);
    this.cluster = await PgCluster.join({
      url: pgSettings.url,
      reads: stores.pool,
      replicaId: pgSettings.replicaId,
      address: pgSettings.advertiseAddress,
      leaseMs: pgSettings.leaseMs,
      senderChanged: (sending) => {
        report();
        this.takeover = this.takeover.then(() => (sending ? this.becomeSender(stores, log) : this.becomeStandby(log)));
      },
      remote: {
        alerts: (changed, gone) => {
          stores.alerts.forgetSeries(gone);
          this.provider.applyRemote(changed, gone);
        },
        silences: (changed, gone) => this.silences.applyRemote(changed, gone),
        acks: (open, scope) => {
          stores.acks.followRemote(open, scope);
          this.ack.acks.applyRemote(open, scope);
        },
      },
      reachableChanged: (reachable, message) => {
        unreachable = reachable ? undefined : message ?? "unreachable";
        report();
        if (reachable) log.info("PostgreSQL reachable again");
        else log.warn({ err: unreachable }, "PostgreSQL unreachable: not sending; reads are answered from memory");
      },
      onError: (message) => log.debug({ err: message }, "cluster coordination"),
    });
    stores.notify.fenceLogWrites(() => this.cluster?.fence());
    // A grant that came before join() returned found no cluster to act on: act on it now.
    if (this.cluster.isSender()) this.takeover = this.takeover.then(() => this.becomeSender(stores, log));
    report();
    log.info({ leaseMs: pgSettings.leaseMs, address: pgSettings.advertiseAddress }, "joined the replicas on PostgreSQL");
  }

  /** Continues where the last sender stopped: its notification log and undelivered outbox, then the dispatcher. */
  private async becomeSender(stores: PgStores, log: Logger): Promise<void> {
    // Once per grant: a second replay would deliver again what the first one delivered.
    if (!this.cluster?.isSender() || this.stopping || this.dispatcher) return;
    try {
      await stores.notify.refresh();
      await stores.acks.refreshEscalations(this.clock.now());
    } catch (err) {
      // Without the last sender's log this one would repeat its notifications: wait for the next grant.
      log.error({ err: errorMessage(err) }, "became the sender but cannot read the notification log; not sending");
      return;
    }
    this.nflog.load();
    const escalations = this.ack.resumeEscalations();
    log.info({ pendingEscalations: escalations }, "this replica is the sender now");
    this.replayOutbox().catch((err: unknown) => this.log.error({ err: errorMessage(err) }, "replaying the outbox failed"));
    this.startDispatcher();
  }

  /** Another replica may be the sender now: stop dispatching (sends under way are refused by maySend). */
  private becomeStandby(log: Logger): Promise<void> {
    if (!this.dispatcher) return Promise.resolve();
    this.dispatcher.stop();
    this.dispatcher = undefined;
    this.health.dispatcher(false);
    log.warn("this replica is no longer the sender: dispatching stopped");
    return Promise.resolve();
  }

  /** Retention and GC on a schedule: silences hourly, history daily at a quiet minute. */
  private scheduleMaintenance(): void {
    const run = (what: string, fn: () => Promise<unknown>) => () => {
      fn().catch((err: unknown) => {
        this.metrics.storageErrors.inc({ operation: what });
        this.log.error({ err: errorMessage(err), task: what }, "maintenance failed");
      });
    };
    this.maintenanceTasks.push(scheduleLocal(this.clock, { minute: 17 }, run("silence_gc", () => this.silences.gc())));
    this.maintenanceTasks.push(scheduleLocal(this.clock, { hour: 3, minute: 43 }, run("history_retention", () => this.pruneHistory())));
  }

  /** Delivers notifications a previous run decided but did not deliver, beside the dispatcher (see start()). */
  private async replayOutbox(): Promise<void> {
    const r = await this.pipeline.replayOutbox(this.clock.now() + OUTBOX_REPLAY_MS);
    for (const [outcome, n] of Object.entries(r)) if (n > 0) this.metrics.outboxReplayed.inc({ outcome }, n);
    if (r.delivered + r.failed + r.dropped > 0) this.log.info(r, "replayed undelivered notifications");
  }

  async pruneHistory(): Promise<number> {
    const before = this.clock.now() - this.opts.settings.historyRetentionMs;
    let n = 0;
    await this.queue.submit(() => {
      this.notifyRepo.pruneDeliveries(before);
      this.nflog.prune(this.clock.now() - this.opts.settings.silenceRetentionMs);
      this.noise.prune(before);
      this.ack.prune(before);
      this.auditRepo.prune(before);
      // Told the count once it is known: at once on SQLite, at the commit on PostgreSQL (before submit resolves).
      this.alertsRepo.pruneHistory(before, (events) => (n = events));
    });
    this.metrics.historyPruned.inc(n);
    return n;
  }

  /** Caps the database at `pages` pages (SQLite max_page_count): how tests make the disk full and free it again. */
  limitDatabasePages(pages: number): number {
    if (!("capPages" in this.stores)) throw new Error("limitDatabasePages: the SQLite backend only");
    return (this.stores as SqliteStores).capPages(pages);
  }

  /** Stops accepting requests, lets in-flight ones finish, commits what was accepted, closes the database. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.ready = false;
    this.watcher?.close();
    for (const t of this.maintenanceTasks) t.stop();
    // First: its last evaluation may still ingest alerts, and its state is saved through the queue.
    await this.anomaly.stop();
    // Leaving first: the lease is released, so another replica takes over at once instead of after it lapses.
    await this.cluster?.leave().catch((err: unknown) => this.log.warn({ err: errorMessage(err) }, "leaving the replicas failed; the lease lapses by itself"));
    this.dispatcher?.stop();
    this.health.dispatcher(false);
    this.noise.stop();
    this.heartbeats.stop();
    this.ack.stop();
    this.provider.stop();
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), 10_000);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    }
    // Sends under way finish (or stay in the outbox for the next start) before the database closes.
    await this.pipeline.drain(10_000);
    this.dingtalk.stop();
    await this.stores.close();
    // The last spans (this shutdown's commits included) go out; a collector that is down cannot hold the stop.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.tracing.shutdown(), new Promise((resolve) => { timer = setTimeout(resolve, TRACE_FLUSH_MS); })]);
    clearTimeout(timer);
    this.log.info("stopped");
  }
}
