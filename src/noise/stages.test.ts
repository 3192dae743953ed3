import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Alert } from "../types/alert.ts";
import { fingerprint } from "../types/labels.ts";
import { fromMillis, ZERO_TIME } from "../types/time.ts";
import { FakeClock } from "../lib/clock.ts";
import { Route } from "../dispatch/route.ts";
import { parseMatchers } from "../matchers/index.ts";
import type { FlushContext, StageDecision } from "../notify/stage.ts";
import { FlapTracker } from "./flap-tracker.ts";
import { flapStage } from "./flap-stage.ts";
import { StormTracker, type StormEffects } from "./storm-tracker.ts";
import { stormStage } from "./storm-stage.ts";
import { summaryLabels, type StormConfig, type StormRecord } from "./storm.ts";

const MIN = 60_000;

function alert(labels: Record<string, string>, p: { resolvedAt?: number } = {}): Alert {
  const t = fromMillis(Date.UTC(2026, 0, 1));
  return { fingerprint: fingerprint(labels), labels, annotations: { summary: "s" }, startsAt: t, endsAt: p.resolvedAt === undefined ? ZERO_TIME : fromMillis(p.resolvedAt), updatedAt: t, generatorURL: "", timeout: false };
}

function context(nowMs: number, receiver = "team") {
  const decisions: StageDecision[] = [];
  const covered: Alert[] = [];
  const retained = new Set<string>();
  const route = Route.pinned(receiver, [], { groupWaitMs: 0, groupIntervalMs: 1000, repeatIntervalMs: 1000 });
  const ctx: FlushContext = {
    flush: { groupKey: "g1", route, groupLabels: {}, alerts: [], nowMs, deadlineMs: nowMs + 10_000 },
    receiver,
    nowMs,
    decide: (d) => decisions.push(d),
    coverAsNotified: (a) => covered.push(...a),
    retain: (fp) => retained.add(fp),
  };
  return { ctx, decisions, covered, retained };
}

describe("flap stage", () => {
  const cfg = { changes: 4, withinMs: 30 * MIN, quietForMs: 30 * MIN };
  const flappy = alert({ alertname: "Flappy" });
  const steady = alert({ alertname: "Steady" });
  const tracker = () => {
    const saved: string[] = [];
    const t = new FlapTracker(cfg, { save: (fp) => saved.push(fp), forget: () => undefined });
    for (const [m, to] of [[0, "firing"], [2, "resolved"], [4, "firing"], [6, "resolved"]] as const) t.observe([{ fingerprint: flappy.fingerprint, labels: flappy.labels, to, atMs: m * MIN }]);
    return { t, saved };
  };

  test("a resolved flapping alert goes on as firing, marked, and its group keeps it", () => {
    const { t, saved } = tracker();
    assert.equal(saved.length, 4, "every change is persisted");
    const { ctx, decisions, retained } = context(7 * MIN);
    const out = flapStage(t).run(ctx, [{ ...flappy, endsAt: fromMillis(6 * MIN) }, steady]);
    assert.equal(out[0]?.endsAt, ZERO_TIME);
    assert.equal(out[0]?.annotations.flapping, "true");
    assert.equal(out[0]?.annotations.summary, "s");
    assert.equal(out[1], steady, "other alerts pass untouched");
    assert.deepEqual([...retained], [flappy.fingerprint]);
    assert.deepEqual(decisions, [{ stage: "flap", outcome: "damped", fingerprints: [flappy.fingerprint], detail: { shown_as: "firing" } }]);
  });

  test("a firing flapping alert is only marked; after quiet_for it is itself again", () => {
    const { t } = tracker();
    const { ctx, decisions, retained } = context(7 * MIN);
    const out = flapStage(t).run(ctx, [flappy]);
    assert.equal(out[0]?.annotations.flapping, "true");
    assert.equal(retained.size, 0);
    assert.equal(decisions[0]?.outcome, "flapping");
    const later = context(37 * MIN);
    const resolved = { ...flappy, endsAt: fromMillis(6 * MIN) };
    assert.deepEqual(flapStage(t).run(later.ctx, [resolved]), [resolved]);
    assert.equal(later.decisions.length, 0);
  });
});

describe("storm stage", () => {
  const cfg: StormConfig = { enterNewAlerts: 3, enterWithinMs: MIN, exitBelow: 1, exitForMs: 2 * MIN, summaryIntervalMs: MIN, bypass: [parseMatchers('priority="P1"')] };
  function setup() {
    const clock = new FakeClock(0);
    const summaries: Array<{ record: StormRecord; resolvedAt: number | undefined; alerts: string }> = [];
    const changes: Array<[string, boolean]> = [];
    const effects: StormEffects = {
      summary: (record, ann, resolvedAt) => summaries.push({ record, resolvedAt, alerts: ann.alerts ?? "" }),
      saveStorm: () => undefined,
      saveCovered: () => undefined,
      changed: (r, active) => changes.push([r, active]),
    };
    const tracker = new StormTracker(cfg, () => () => [{ receiver: "team", groupKey: "g1" }], effects, clock, (ms) => String(ms));
    const start = (labels: Record<string, string>) => {
      const a = alert(labels);
      tracker.observe([{ fingerprint: a.fingerprint, labels, to: "firing", atMs: clock.now() }]);
      return a;
    };
    return { clock, tracker, summaries, changes, start };
  }

  test("no storm: everything passes", () => {
    const { tracker, start } = setup();
    const a = start({ alertname: "A" });
    const { ctx, decisions } = context(0);
    assert.deepEqual(stormStage(tracker).run(ctx, [a]), [a]);
    assert.equal(decisions.length, 0);
  });

  test("in a storm: alerts are held and covered, bypass alerts and the summary pass", () => {
    const { tracker, start, summaries, changes } = setup();
    const held = [start({ alertname: "A", i: "1" }), start({ alertname: "A", i: "2" })];
    const p1 = start({ alertname: "B", priority: "P1" });
    assert.equal(tracker.active("team")?.id, summaries[0]?.record.id, "the third start opened the storm");
    assert.deepEqual(changes, [["team", true]]);
    assert.equal(summaries[0]?.alerts, "2", "the summary covers the alerts that opened it, not bypass ones");
    const summary = alert(summaryLabels("team"));
    const { ctx, decisions, covered } = context(1000);
    const out = stormStage(tracker).run(ctx, [...held, p1, summary]);
    assert.deepEqual(out, [p1, summary]);
    assert.deepEqual(covered, held);
    assert.deepEqual(decisions, [{ stage: "storm", outcome: "held", fingerprints: held.map((a) => a.fingerprint), detail: { storm_id: tracker.active("team")?.id } }]);
    const otherReceiver = context(1000, "other");
    assert.deepEqual(stormStage(tracker).run(otherReceiver.ctx, held), held, "storms are per receiver");
  });

  test("refreshed every summary_interval, resolved once quiet for exit.for", () => {
    const { clock, tracker, start, summaries, changes } = setup();
    for (let i = 0; i < 3; i++) start({ alertname: "A", i: String(i) });
    clock.advance(MIN + 1000);
    assert.equal(summaries.length, 2, "refreshed");
    clock.advance(2 * MIN);
    assert.equal(tracker.active("team"), undefined);
    assert.equal(summaries[summaries.length - 1]?.resolvedAt, 2 * MIN, "over exit.for after its last start");
    assert.deepEqual(changes, [["team", true], ["team", false]]);
    tracker.stop();
  });
});
