import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Alert } from "../types/alert.ts";
import { fingerprint } from "../types/labels.ts";
import { fromMillis, ZERO_TIME } from "../types/time.ts";
import { Route } from "../dispatch/route.ts";
import { DecisionLog, type DecisionRow } from "./decision-log.ts";
import { inhibitStage, silenceStage, timeIntervalStage, type Muting } from "./muting-stages.ts";
import type { FlushContext, StageDecision } from "./stage.ts";

function alert(name: string): Alert {
  const labels = { alertname: name };
  const t = fromMillis(0);
  return { fingerprint: fingerprint(labels), labels, annotations: {}, startsAt: t, endsAt: ZERO_TIME, updatedAt: t, generatorURL: "", timeout: false };
}

function context(route: Route) {
  const decisions: StageDecision[] = [];
  const ctx: FlushContext = {
    flush: { groupKey: "g", route, groupLabels: {}, alerts: [], nowMs: 0, deadlineMs: 10_000 },
    receiver: route.opts.receiver, nowMs: 0,
    decide: (d) => decisions.push(d), coverAsNotified: () => undefined, retain: () => undefined,
  };
  return { ctx, decisions };
}

const plain = Route.pinned("r", [], { groupWaitMs: 0, groupIntervalMs: 1, repeatIntervalMs: 1 });
const [a, b, c] = [alert("A"), alert("B"), alert("C")];

describe("Alertmanager's muting stages", () => {
  const muting: Muting = {
    inhibitedBy: (x) => (x === a ? ["src1"] : []),
    silencedBy: (x) => (x === b || x === c ? ["s1"] : []),
    inInterval: (name) => name === "weekend",
  };

  test("inhibit and silence hold their alerts and say by what", () => {
    const { ctx, decisions } = context(plain);
    assert.deepEqual(inhibitStage(() => muting).run(ctx, [a, b, c]), [b, c]);
    assert.deepEqual(silenceStage(() => muting).run(ctx, [b, c]), []);
    assert.deepEqual(decisions, [
      { stage: "inhibit", outcome: "inhibited", fingerprints: [a.fingerprint], detail: { inhibited_by: ["src1"] } },
      { stage: "silence", outcome: "silenced", fingerprints: [b.fingerprint, c.fingerprint], detail: { silenced_by: ["s1"] } },
    ]);
  });

  test("time intervals hold the whole group", () => {
    const spec = (mute: string[], active: string[]) => Route.root({ receiver: "r", groupBy: [], groupByAll: false, groupWaitMs: 0, groupIntervalMs: 1, repeatIntervalMs: 1, matchers: [], continue: false, muteTimeIntervals: mute, activeTimeIntervals: active, routes: [] });
    const muted = context(spec(["weekend"], []));
    assert.deepEqual(timeIntervalStage(() => muting).run(muted.ctx, [a]), []);
    assert.deepEqual(muted.decisions, [{ stage: "time_intervals", outcome: "muted", detail: { mute_time_intervals: ["weekend"] } }]);
    const inactive = context(spec([], ["business_hours"]));
    assert.deepEqual(timeIntervalStage(() => muting).run(inactive.ctx, [a]), []);
    assert.equal(inactive.decisions[0]?.outcome, "outside_active");
    const open = context(spec([], ["weekend"]));
    assert.deepEqual(timeIntervalStage(() => muting).run(open.ctx, [a]), [a]);
    assert.equal(open.decisions.length, 0);
  });
});

describe("decision log", () => {
  const held: StageDecision = { stage: "silence", outcome: "silenced", fingerprints: ["f1"], detail: { silenced_by: ["s1"] } };

  test("states are written when they start, change and end; events every time", () => {
    const rows: DecisionRow[] = [];
    const log = new DecisionLog((r) => rows.push(...r));
    const present = new Set(["f1", "f2"]);
    log.flush("g", "r", 1, [held], present);
    log.flush("g", "r", 2, [held], present);
    assert.deepEqual(rows.map((r) => [r.atMs, r.fingerprint, r.outcome]), [[1, "f1", "silenced"]], "an unchanged state is not written again");
    log.flush("g", "r", 3, [{ ...held, detail: { silenced_by: ["s2"] } }], present);
    log.flush("g", "r", 4, [{ stage: "notify", outcome: "sent", integration: "webhook/0" }], present);
    log.flush("g", "r", 5, [{ stage: "notify", outcome: "sent", integration: "webhook/0" }], present);
    assert.deepEqual(rows.map((r) => [r.atMs, r.fingerprint, r.integration, r.outcome]), [
      [1, "f1", "", "silenced"],
      [3, "f1", "", "silenced"],
      [4, "", "webhook/0", "sent"],
      [4, "f1", "", "released"],
      [5, "", "webhook/0", "sent"],
    ]);
  });

  test("an alert that left the group is not released", () => {
    const rows: DecisionRow[] = [];
    const log = new DecisionLog((r) => rows.push(...r));
    log.flush("g", "r", 1, [held], new Set(["f1"]));
    log.flush("g", "r", 2, [], new Set(["f2"]));
    assert.deepEqual(rows.map((r) => r.outcome), ["silenced"]);
  });

  test("nothing to write, no write", () => {
    let writes = 0;
    const log = new DecisionLog(() => writes++);
    log.flush("g", "r", 1, [], new Set());
    assert.equal(writes, 0);
  });
});
