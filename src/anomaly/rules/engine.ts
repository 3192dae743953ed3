/**
 * Runs anomaly rules and predictions against Prometheus: each rule on its own timer at its step, aligned
 * to multiples of it. An anomaly rule warms up with query_range (or catches up from its stored state),
 * then reads one instant sample per step; a prediction reads its lookback each time. Alerts go to `send`
 * (the same ingest as POST /api/v2/alerts). A failing query marks only its rule unhealthy.
 */
import type { Clock, TimerHandle } from "../../lib/clock.ts";
import type { Logger } from "../../lib/log.ts";
import { errorMessage } from "../../lib/errors.ts";
import type { IncomingAlert } from "../../ingest/normalise.ts";
import { AnomalyRuleSeries } from "./anomaly-rule.ts";
import { PredictionRuleSeries } from "./prediction-rule.ts";
import { generatorUrl } from "./alert-build.ts";
import { createPrometheusClient, type PrometheusClient } from "./prometheus-client.ts";
import type { AnomalySettings, PrometheusSettings, Rule } from "./types.ts";
import type { RuleStateStore, SeriesView } from "./store.ts";

/** How often an anomaly rule's models are written (and at stop); between saves, a restart replays from Prometheus. */
export const SNAPSHOT_INTERVAL_MS = 5 * 60_000;

export type Health = "unknown" | "ok" | "error";

export interface RuleStatus {
  readonly rule: Rule;
  readonly health: Health;
  readonly lastError: string | undefined;
  readonly lastErrorAtMs: number | undefined;
  /** Wall time of the last evaluation, and the (aligned) time it evaluated. */
  readonly lastEvaluationAtMs: number | undefined;
  readonly evaluatedUntilMs: number | undefined;
  readonly lastDurationMs: number | undefined;
  /** Series of the last result beyond max_series (not tracked). */
  readonly overflow: number;
  readonly series: readonly SeriesView[];
}

export interface EngineObserver {
  /** `error`: why a failed evaluation failed (as in the rule's lastError). */
  evaluated(rule: string, seconds: number, ok: boolean, error?: string): void;
}

export interface AnomalyEngineOptions {
  readonly clock: Clock;
  readonly log: Logger;
  readonly store: RuleStateStore;
  readonly send: (alerts: IncomingAlert[]) => Promise<unknown>;
  readonly observer?: EngineObserver;
  readonly userAgent: string;
  /** Tests may point the engine at another client. */
  readonly clientFor?: (settings: PrometheusSettings) => PrometheusClient;
}

class Runner {
  readonly series: AnomalyRuleSeries | PredictionRuleSeries;
  health: Health = "unknown";
  lastError: string | undefined;
  lastErrorAtMs: number | undefined;
  lastEvaluationAtMs: number | undefined;
  lastDurationMs: number | undefined;
  /** The last aligned time the series state includes. */
  evaluatedUntilMs: number | undefined;
  savedAtMs: number | undefined;
  timer: TimerHandle | undefined;
  running: Promise<void> | undefined;
  stopped = false;

  constructor(public rule: Rule) {
    this.series = rule.kind === "anomaly" ? new AnomalyRuleSeries(rule) : new PredictionRuleSeries(rule);
  }

  setRule(rule: Rule): void {
    this.rule = rule;
    this.series.rule = rule as never; // same kind: the stateKey (which includes the kind) did not change
  }
}

export class AnomalyEngine {
  private readonly runners = new Map<string, Runner>();
  private settings: AnomalySettings | undefined;
  private client: PrometheusClient | undefined;
  private started = false;

  constructor(private readonly o: AnomalyEngineOptions) {}

  /** Applies (re)loaded settings: unchanged rules keep their state and timers, new ones restore theirs. */
  async configure(next: AnomalySettings): Promise<void> {
    const prev = this.settings;
    this.settings = next;
    if (JSON.stringify(prev?.prometheus) !== JSON.stringify(next.prometheus)) {
      this.client?.close();
      this.client = next.prometheus ? (this.o.clientFor ?? ((s) => createPrometheusClient(s, this.o.userAgent)))(next.prometheus) : undefined;
    }
    const wanted = new Map(next.rules.map((r) => [r.name, r]));
    for (const [name, runner] of this.runners) {
      const rule = wanted.get(name);
      if (rule && rule.stateKey === runner.rule.stateKey) {
        runner.setRule(rule);
        continue;
      }
      await this.retire(runner);
      this.runners.delete(name);
    }
    for (const rule of next.rules) {
      if (this.runners.has(rule.name)) continue;
      const runner = new Runner(rule);
      this.restore(runner);
      this.runners.set(rule.name, runner);
      if (this.started) this.schedule(runner);
    }
    await this.o.store.retain(next.rules.map((r) => r.name));
  }

  start(): void {
    this.started = true;
    for (const r of this.runners.values()) this.schedule(r);
  }

  /**
   * Stops the timers, aborts queries under way (an evaluation cut short changes nothing: samples are
   * applied only after the whole read), waits for the evaluations to end, and saves every rule's state.
   */
  async stop(): Promise<void> {
    this.started = false;
    const runners = [...this.runners.values()];
    for (const r of runners) {
      r.stopped = true;
      if (r.timer) this.o.clock.clearTimeout(r.timer);
    }
    this.client?.close();
    this.client = undefined;
    await Promise.all(runners.map((r) => r.running));
    await Promise.all(runners.map((r) => this.save(r).catch((err: unknown) => this.o.log.error({ rule: r.rule.name, err: errorMessage(err) }, "cannot save the rule's state"))));
  }

  status(): RuleStatus[] {
    return [...this.runners.values()].map((r) => ({
      rule: r.rule, health: r.health, lastError: r.lastError, lastErrorAtMs: r.lastErrorAtMs, lastEvaluationAtMs: r.lastEvaluationAtMs,
      evaluatedUntilMs: r.evaluatedUntilMs, lastDurationMs: r.lastDurationMs, overflow: r.series.overflow, series: r.series.view(),
    }));
  }

  /** Runs one evaluation of a rule now (the timer's work; tests call it directly). */
  evaluateNow(name: string): Promise<void> {
    const r = this.runners.get(name);
    if (!r) return Promise.reject(new Error(`no rule ${name}`));
    return this.run(r);
  }

  private schedule(r: Runner): void {
    if (r.stopped || !this.started) return;
    const now = this.o.clock.now();
    const step = r.rule.stepMs;
    const next = Math.floor(now / step) * step + step;
    r.timer = this.o.clock.setTimeout(() => {
      r.timer = undefined;
      void this.run(r).finally(() => this.schedule(r));
    }, next - now);
  }

  private run(r: Runner): Promise<void> {
    // One evaluation of a rule at a time; a second caller waits for the one under way.
    r.running ??= this.evaluate(r).finally(() => {
      r.running = undefined;
    });
    return r.running;
  }

  private async evaluate(r: Runner): Promise<void> {
    const client = this.client;
    const prometheusUrl = this.settings?.prometheus?.url;
    if (!client || prometheusUrl === undefined) return;
    const startedAt = this.o.clock.now();
    const t0 = performance.now();
    let ok = true;
    try {
      await this.query(r, client, startedAt);
      r.health = "ok";
      r.lastError = undefined;
    } catch (err) {
      if (r.stopped) return; // aborted by stop(): not a failure of the rule
      ok = false;
      r.health = "error";
      r.lastError = errorMessage(err);
      r.lastErrorAtMs = startedAt;
      this.o.log.warn({ rule: r.rule.name, err: r.lastError }, "rule evaluation failed");
    }
    r.lastDurationMs = performance.now() - t0;
    r.lastEvaluationAtMs = startedAt;
    this.o.observer?.evaluated(r.rule.name, r.lastDurationMs / 1000, ok, ok ? undefined : r.lastError);
    if (!ok) return; // the alerts already sent stay valid for 4 steps; nothing is refreshed from a failed read
    const alerts = r.series.alerts(this.o.clock.now(), generatorUrl(prometheusUrl, r.rule.query));
    if (alerts.length > 0) {
      await this.o.send(alerts).catch((err: unknown) => this.o.log.error({ rule: r.rule.name, err: errorMessage(err) }, "cannot store the rule's alerts"));
    }
    const due = r.rule.kind === "prediction" || r.savedAtMs === undefined || this.o.clock.now() - r.savedAtMs >= SNAPSHOT_INTERVAL_MS;
    if (due) await this.save(r).catch((err: unknown) => this.o.log.error({ rule: r.rule.name, err: errorMessage(err) }, "cannot save the rule's state"));
  }

  private async query(r: Runner, client: PrometheusClient, nowMs: number): Promise<void> {
    const rule = r.rule;
    const end = Math.floor(nowMs / rule.stepMs) * rule.stepMs;
    if (rule.kind === "prediction") {
      const result = await client.queryRange(rule.query, end - rule.lookbackMs, end, rule.stepMs);
      (r.series as PredictionRuleSeries).evaluate(result, end);
      r.evaluatedUntilMs = end;
      return;
    }
    const series = r.series as AnomalyRuleSeries;
    const last = r.evaluatedUntilMs;
    if (last !== undefined && end <= last) return;
    const result = last !== undefined && end - last === rule.stepMs
      ? await client.query(rule.query, end)
      : await client.queryRange(rule.query, Math.max(last === undefined ? -Infinity : last + rule.stepMs, end - rule.warmupMs), end, rule.stepMs);
    series.ingest(result, end);
    r.evaluatedUntilMs = end;
  }

  private restore(r: Runner): void {
    const stored = this.o.store.load(r.rule.name);
    if (!stored || stored.stateKey !== r.rule.stateKey) return;
    const restored = r.series.restore(stored.series);
    // A series whose model could not be restored is learnt again from a full warm-up (restored ones skip what they saw).
    r.evaluatedUntilMs = restored === stored.series.length ? stored.lastEvalMs : undefined;
    r.savedAtMs = stored.savedAtMs;
    this.o.log.info({ rule: r.rule.name, series: restored, until: new Date(stored.lastEvalMs).toISOString() }, "rule state restored");
  }

  private async save(r: Runner): Promise<void> {
    if (r.evaluatedUntilMs === undefined) return;
    const now = this.o.clock.now();
    const lastEvalMs = r.evaluatedUntilMs;
    // Called inside the rule's evaluation (or after it stopped), so no ingest interleaves with the turns.
    const series = r.series instanceof AnomalyRuleSeries ? await r.series.snapshotInTurns() : r.series.snapshot();
    await this.o.store.save({ name: r.rule.name, stateKey: r.rule.stateKey, lastEvalMs, savedAtMs: now, series });
    r.savedAtMs = now;
  }

  /** A rule that was removed or changed: its firing alerts are resolved now. */
  private async retire(r: Runner): Promise<void> {
    r.stopped = true;
    if (r.timer) this.o.clock.clearTimeout(r.timer);
    await r.running;
    const url = this.settings?.prometheus?.url ?? "http://prometheus";
    r.series.resolveAll(this.o.clock.now());
    const alerts = r.series.alerts(this.o.clock.now(), generatorUrl(url, r.rule.query));
    if (alerts.length > 0) await this.o.send(alerts).catch((err: unknown) => this.o.log.error({ rule: r.rule.name, err: errorMessage(err) }, "cannot store the rule's resolved alerts"));
  }
}
