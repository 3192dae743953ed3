import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../lib/clock.ts";
import { parseMatchers } from "../matchers/index.ts";
import { fromMillis, ZERO_TIME } from "../types/time.ts";
import { fingerprint, type LabelSet } from "../types/labels.ts";
import type { Alert } from "../types/alert.ts";
import {
  HeartbeatTracker, heartbeatId, isHeartbeatMissing, missingAnnotations, missingLabels, statusAt,
  type Heartbeat, type HeartbeatState,
} from "./index.ts";

const S = 1000;
const MIN = 60 * S;
const REFRESH = MIN;

function heartbeat(matchers: string, timeoutMs = 5 * MIN, receiver = "ops"): Heartbeat {
  const m = parseMatchers(matchers);
  return { id: heartbeatId(m), matchers: m, timeoutMs, receiver };
}

function alert(labels: LabelSet, endsAtMs?: number): Alert {
  return {
    fingerprint: fingerprint(labels), labels, annotations: {}, startsAt: fromMillis(0),
    endsAt: endsAtMs === undefined ? ZERO_TIME : fromMillis(endsAtMs), updatedAt: fromMillis(0), generatorURL: "", timeout: false,
  };
}

type Event =
  | { kind: "missing"; id: string; atMs: number; sinceMs: number; raised: boolean; last: number | undefined }
  | { kind: "resolved"; id: string; atMs: number; sinceMs: number; last: number | undefined }
  | { kind: "save"; id: string; state: HeartbeatState }
  | { kind: "forget"; id: string };

function setup(startMs = Date.UTC(2026, 11, 1, 10)) {
  const clock = new FakeClock(startMs);
  const events: Event[] = [];
  const tracker = new HeartbeatTracker(clock, {
    missing: (hb, state, sinceMs, raised) => events.push({ kind: "missing", id: hb.id, atMs: clock.now(), sinceMs, raised, last: state.lastArrivalMs }),
    resolved: (hb, state, sinceMs, atMs) => events.push({ kind: "resolved", id: hb.id, atMs, sinceMs, last: state.lastArrivalMs }),
    save: (id, state) => events.push({ kind: "save", id, state }),
    forget: (id) => events.push({ kind: "forget", id }),
  }, REFRESH);
  const of = <K extends Event["kind"]>(kind: K) => events.filter((e): e is Extract<Event, { kind: K }> => e.kind === kind);
  return { clock, events, tracker, of, t0: startMs };
}

const WATCHDOG = { alertname: "Watchdog", severity: "none" };

describe("heartbeat tracker", () => {
  test("arrivals keep it ok; silence for the timeout raises it once, refreshed every refresh period; the next arrival resolves it", () => {
    const { clock, tracker, of, t0 } = setup();
    const hb = heartbeat('alertname="Watchdog"');
    tracker.configure([hb], () => undefined);
    assert.deepEqual(of("save"), [{ kind: "save", id: hb.id, state: { firstSeenMs: t0, lastArrivalMs: undefined } }]);
    assert.equal(tracker.list()[0]?.status, "waiting");

    // Re-sends every 30 s (Prometheus' resend of a firing alert) are arrivals too.
    for (let i = 0; i < 20; i++) {
      clock.advance(30 * S);
      tracker.observe([alert(WATCHDOG)]);
    }
    const lastArrival = clock.now();
    assert.equal(tracker.list()[0]?.status, "ok");
    assert.equal(of("missing").length, 0);
    assert.equal(of("save").at(-1)?.state.lastArrivalMs, lastArrival);

    clock.advance(5 * MIN - 1);
    assert.equal(of("missing").length, 0, "not before the timeout");
    clock.advance(1);
    assert.deepEqual(of("missing"), [{ kind: "missing", id: hb.id, atMs: lastArrival + 5 * MIN, sinceMs: lastArrival + 5 * MIN, raised: true, last: lastArrival }]);
    const view = tracker.list()[0];
    assert.equal(view?.status, "missing");
    assert.equal(view?.missingSinceMs, lastArrival + 5 * MIN);

    clock.advance(3 * REFRESH);
    assert.deepEqual(of("missing").map((e) => [e.atMs - lastArrival, e.raised, e.sinceMs]), [
      [5 * MIN, true, lastArrival + 5 * MIN], [6 * MIN, false, lastArrival + 5 * MIN], [7 * MIN, false, lastArrival + 5 * MIN], [8 * MIN, false, lastArrival + 5 * MIN],
    ]);

    clock.advance(10 * S);
    tracker.observe([alert(WATCHDOG)]);
    assert.deepEqual(of("resolved"), [{ kind: "resolved", id: hb.id, atMs: clock.now(), sinceMs: lastArrival + 5 * MIN, last: lastArrival }], "resolved with the gap's last arrival");
    assert.equal(tracker.list()[0]?.status, "ok");
    clock.advance(4 * MIN);
    assert.equal(of("missing").length, 4, "no refresh after the resolve");
  });

  test("only firing alerts that match count, and never HeartbeatMissing itself", () => {
    const { clock, tracker, of } = setup();
    const hb = heartbeat('alertname="Watchdog",env="prod"', MIN);
    tracker.configure([hb], () => undefined);
    clock.advance(30 * S);
    tracker.observe([
      alert({ alertname: "Watchdog", env: "dev" }),
      alert({ alertname: "Watchdog", env: "prod" }, clock.now() - 1), // resolved
      alert({ ...missingLabels(hb), env: "prod" }),
    ]);
    assert.equal(of("save").length, 1, "only the first save (configured)");
    clock.advance(30 * S);
    assert.equal(of("missing").length, 1, "a minute without an arrival since it was configured");
    assert.equal(of("missing")[0]?.last, undefined);
  });

  test("a restart restores the last arrival: the timer is not reset, and an outage longer than the timeout is reported at once", () => {
    const first = setup();
    const hb = heartbeat('alertname="Watchdog"');
    first.tracker.configure([hb], () => undefined);
    first.clock.advance(MIN);
    first.tracker.observe([alert(WATCHDOG)]);
    const saved = first.of("save").at(-1)?.state;
    assert.ok(saved);
    first.tracker.stop();

    // Back 4 minutes later: missing one minute after that, not 5.
    const second = setup(saved.lastArrivalMs! + 4 * MIN);
    second.tracker.configure([hb], (id) => (id === hb.id ? saved : undefined));
    assert.equal(second.of("save").length, 0, "a restored heartbeat is not saved again");
    second.clock.advance(MIN - 1);
    assert.equal(second.of("missing").length, 0);
    second.clock.advance(1);
    assert.equal(second.of("missing")[0]?.sinceMs, saved.lastArrivalMs! + 5 * MIN);

    // Back after an hour: raised at once, missing since the old deadline.
    const third = setup(saved.lastArrivalMs! + 60 * MIN);
    third.tracker.configure([hb], () => saved);
    assert.deepEqual(third.of("missing").map((e) => [e.atMs, e.sinceMs, e.raised]), [[third.t0, saved.lastArrivalMs! + 5 * MIN, true]]);
  });

  test("reload: a kept heartbeat keeps its state, a longer timeout ends the missing, a new receiver moves the alert, a removed one is resolved and forgotten", () => {
    const { clock, tracker, of, events } = setup();
    const a = heartbeat('alertname="Watchdog"', 2 * MIN, "ops");
    const b = heartbeat('alertname="Heartbeat"', 2 * MIN, "ops");
    tracker.configure([a, b], () => undefined);
    clock.advance(2 * MIN);
    assert.deepEqual(of("missing").map((e) => e.id).sort(), [a.id, b.id].sort());

    // `a`: a timeout of 10 minutes, so it is no longer missing; `b`: another receiver.
    events.length = 0;
    const a2 = { ...a, timeoutMs: 10 * MIN };
    const b2 = { ...b, receiver: "team" };
    tracker.configure([b2, a2], () => assert.fail("kept heartbeats are not reloaded from storage"));
    assert.deepEqual(of("resolved").map((e) => e.id).sort(), [a.id, b.id].sort(), "a: no longer missing; b: its old receiver's alert");
    assert.deepEqual(of("missing").map((e) => [e.id, e.raised]), [[b.id, true]], "b raised again for the new receiver");
    assert.deepEqual(tracker.list().map((v) => [v.heartbeat.id, v.status]), [[b.id, "missing"], [a.id, "waiting"]]);

    events.length = 0;
    tracker.configure([a2], () => undefined);
    assert.deepEqual(events.map((e) => [e.kind, e.id]), [["resolved", b.id], ["forget", b.id]]);
    clock.advance(8 * MIN - 1);
    assert.equal(of("missing").length, 0);
    clock.advance(1);
    assert.deepEqual(of("missing").map((e) => e.id), [a.id], "10 minutes after a was first configured");

    events.length = 0;
    tracker.configure([], () => undefined);
    assert.deepEqual(events.map((e) => [e.kind, e.id]), [["resolved", a.id], ["forget", a.id]]);
    clock.advance(60 * MIN);
    assert.equal(events.length, 2, "no timers left");
  });
});

describe("heartbeat alert", () => {
  test("labels and annotations: the matchers, the last arrival (RFC 3339), the timeout", () => {
    const hb = heartbeat('alertname="Watchdog"');
    assert.deepEqual(missingLabels(hb), { alertname: "HeartbeatMissing", alertprism: "heartbeat", heartbeat: '{alertname="Watchdog"}', receiver: "ops", severity: "critical" });
    assert.equal(isHeartbeatMissing(missingLabels(hb)), true);
    assert.equal(isHeartbeatMissing({ alertname: "HeartbeatMissing" }), false);
    const iso = (ms: number) => new Date(ms).toISOString();
    const at = Date.UTC(2026, 11, 1, 10, 0, 0);
    const ann = missingAnnotations(hb, { firstSeenMs: at - MIN, lastArrivalMs: at }, "5m", iso);
    assert.equal(ann.last_heartbeat, "2026-12-01T10:00:00.000Z");
    assert.equal(ann.timeout, "5m");
    assert.equal(ann.summary, 'No heartbeat {alertname="Watchdog"} for 5m');
    assert.equal(missingAnnotations(hb, { firstSeenMs: at, lastArrivalMs: undefined }, "5m", iso).last_heartbeat, "never");
  });

  test("the id is the sorted matchers, so the order they are written in does not matter", () => {
    assert.equal(heartbeat('env="prod",alertname="Watchdog"').id, heartbeat('alertname="Watchdog", env="prod"').id);
    const hb = heartbeat('alertname="Watchdog"', MIN);
    assert.deepEqual(statusAt(hb, { firstSeenMs: 0, lastArrivalMs: undefined }, MIN - 1), { status: "waiting" });
    assert.deepEqual(statusAt(hb, { firstSeenMs: 0, lastArrivalMs: 10 }, MIN), { status: "ok" });
    assert.deepEqual(statusAt(hb, { firstSeenMs: 0, lastArrivalMs: 10 }, MIN + 10), { status: "missing", missingSinceMs: MIN + 10 });
  });
});
