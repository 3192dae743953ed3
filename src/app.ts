import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import cron from "node-cron";
import type { Clock } from "./lib/clock.ts";
import { SystemClock } from "./lib/clock.ts";
import { createLogger, type Logger } from "./lib/log.ts";
import { ConfigError, errorMessage } from "./lib/errors.ts";
import { fromMillis, type Timestamp } from "./types/time.ts";
import type { Alert } from "./types/alert.ts";
import { openDatabase, type Database } from "./store/db.ts";
import { CommitQueue } from "./store/commit-queue.ts";
import { AlertsRepo } from "./store/alerts-repo.ts";
import { SilencesRepo } from "./store/silences-repo.ts";
import { loadAlertmanagerConfigFile, type AlertmanagerConfig } from "./config/alertmanager.ts";
import { originalConfigYaml } from "./config/original.ts";
import { Silences } from "./silence/silences.ts";
import { Inhibitor } from "./inhibit/inhibitor.ts";
import { AlertProvider } from "./provider/alert-provider.ts";
import type { StatusSource } from "./provider/status.ts";
import { RoutingTable } from "./dispatch/routing-table.ts";
import { normaliseAlerts, type IncomingAlert } from "./ingest/normalise.ts";
import { Metrics } from "./metrics/metrics.ts";
import { silenceState } from "./types/silence.ts";
import { createHttpApp } from "./api/server.ts";
import type { ApiContext } from "./api/v2/context.ts";
import { databaseFile, parseListenAddress, type Settings } from "./settings.ts";
import { VERSION } from "./version.ts";

export interface AppOptions {
  readonly settings: Settings;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly env?: NodeJS.ProcessEnv;
}

/** The loaded configuration and everything derived from it; swapped whole on reload. */
interface Runtime {
  readonly config: AlertmanagerConfig;
  readonly routing: RoutingTable;
  readonly inhibitor: Inhibitor;
  readonly original: string;
}

/** Composition root: builds and wires every component; start, stop and reload. */
export class App {
  readonly log: Logger;
  readonly metrics = new Metrics();
  private readonly clock: Clock;
  private readonly db: Database;
  private readonly queue: CommitQueue;
  private readonly silences: Silences;
  private readonly alertsRepo: AlertsRepo;
  private readonly provider: AlertProvider;
  private runtime: Runtime;
  private server: Server | undefined;
  private readonly startedAt: Timestamp;
  private readonly cronTasks: Array<{ stop(): void }> = [];
  private ready = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: AppOptions) {
    const s = opts.settings;
    this.clock = opts.clock ?? new SystemClock();
    this.log = opts.logger ?? createLogger({ level: s.logLevel, format: s.logFormat });
    this.startedAt = fromMillis(this.clock.now());
    this.runtime = this.buildRuntime();

    this.db = openDatabase(databaseFile(s), { synchronous: s.synchronous });
    this.queue = new CommitQueue(this.db);
    this.silences = new Silences(new SilencesRepo(this.db), this.queue, this.clock, s.silenceRetentionMs);
    this.alertsRepo = new AlertsRepo(this.db);
    this.provider = new AlertProvider({
      repo: this.alertsRepo,
      queue: this.queue,
      clock: this.clock,
      log: this.log.child({ component: "provider" }),
      status: this.statusSource(this.runtime.inhibitor),
      gcIntervalMs: s.gcIntervalMs,
    });
    const silenceCount = this.silences.load();
    const alertCount = this.provider.load();
    this.silences.onChange(() => this.provider.silencesChanged());
    this.log.info({ db: databaseFile(s), alerts: alertCount, silences: silenceCount }, "state restored");
    this.registerGauges();
  }

  private buildRuntime(): Runtime {
    const config = loadAlertmanagerConfigFile(this.opts.settings.configFile, this.opts.env);
    return { config, routing: new RoutingTable(config), inhibitor: new Inhibitor(config.inhibitRules), original: originalConfigYaml(config) };
  }

  private statusSource(inhibitor: Inhibitor): StatusSource {
    const silences = this.silences;
    return {
      observe: (a) => inhibitor.observe(a),
      forget: (fp) => inhibitor.forget(fp),
      statusOf: (a, now) => ({ silencedBy: silences.mutedBy(a.labels, now), inhibitedBy: inhibitor.inhibitedBy(a, now) }),
      affectsOthers: (a) => inhibitor.isSource(a),
      nextTransitionMs: (now) => silences.nextTransitionMs(now),
      transitionedBetween: (from, to) => silences.transitionedBetween(from, to),
    };
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
      originalConfig: () => this.runtime.original,
      ingest: (alerts) => this.ingest(alerts),
    };
  }

  /** Applies Alertmanager's defaults and validation, then commits the valid alerts. */
  async ingest(incoming: readonly IncomingAlert[]): Promise<{ errors: string[] }> {
    const { valid, errors } = normaliseAlerts(incoming, this.clock.now(), this.runtime.config.resolveTimeoutMs);
    if (errors.length > 0) this.metrics.alertsInvalid.inc({ version: "v2" }, errors.length);
    const now = this.clock.now();
    let firing = 0;
    for (const a of valid) if (a.endsAt.ms > now) firing++;
    if (firing > 0) this.metrics.alertsReceived.inc({ status: "firing", version: "v2" }, firing);
    if (valid.length - firing > 0) this.metrics.alertsReceived.inc({ status: "resolved", version: "v2" }, valid.length - firing);
    try {
      await this.provider.put(valid);
    } catch (err) {
      this.metrics.storageErrors.inc({ operation: "put_alerts" });
      throw err;
    }
    return { errors };
  }

  /** Loads the config files again; an invalid new config keeps the old one and is reported. */
  async reload(): Promise<void> {
    let next: Runtime;
    try {
      next = this.buildRuntime();
    } catch (err) {
      this.metrics.configLastReloadSuccessful.set(0);
      this.log.error({ err: errorMessage(err) }, "configuration reload failed; keeping the previous configuration");
      throw err instanceof ConfigError ? err : new ConfigError(errorMessage(err));
    }
    this.runtime = next;
    this.provider.setStatusSource(this.statusSource(next.inhibitor));
    this.metrics.configLastReloadSuccessful.set(1);
    this.metrics.configLastReloadSuccessTime.set(this.clock.now() / 1000);
    this.log.info({ file: next.config.file }, "configuration reloaded");
  }

  async start(): Promise<AddressInfo> {
    const s = this.opts.settings;
    const http = createHttpApp(this.apiContext(), {
      routePrefix: s.routePrefix,
      maxRequestBytes: s.maxRequestBytes,
      version: VERSION,
      registry: this.metrics.registry,
      isReady: () => this.ready,
      reload: () => this.reload(),
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
    const addr = server.address() as AddressInfo;
    this.log.info({ address: `${addr.address}:${addr.port}`, routePrefix: s.routePrefix, version: VERSION }, "listening");
    return addr;
  }

  /** Retention and GC on a schedule: silences hourly, history daily at a quiet minute. */
  private scheduleMaintenance(): void {
    const run = (what: string, fn: () => Promise<unknown>) => () => {
      fn().catch((err: unknown) => {
        this.metrics.storageErrors.inc({ operation: what });
        this.log.error({ err: errorMessage(err), task: what }, "maintenance failed");
      });
    };
    this.cronTasks.push(cron.schedule("17 * * * *", run("silence_gc", () => this.silences.gc())));
    this.cronTasks.push(cron.schedule("43 3 * * *", run("history_retention", () => this.pruneHistory())));
  }

  async pruneHistory(): Promise<number> {
    const before = this.clock.now() - this.opts.settings.historyRetentionMs;
    const n = await this.queue.submit(() => this.alertsRepo.pruneHistory(before));
    this.metrics.historyPruned.inc(n);
    return n;
  }

  /** Stops accepting requests, lets in-flight ones finish, commits what was accepted, closes the database. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.ready = false;
    for (const t of this.cronTasks) t.stop();
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
    this.queue.close();
    this.db.close();
    this.log.info("stopped");
  }

  /** For tests: the live alerts. */
  liveAlerts(): Alert[] {
    return [...this.provider.all()].map((e) => e.alert);
  }
}
