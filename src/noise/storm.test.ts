import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cover, entersStorm, exitsStorm, isStormSummary, MINUTE, newStormRecord, StartCounter, stormId, summaryAnnotations, summaryLabels, counterHorizonMs, type StormConfig } from "./storm.ts";

const cfg: StormConfig = { enterNewAlerts: 50, enterWithinMs: MINUTE, exitBelow: 5, exitForMs: 5 * MINUTE, summaryIntervalMs: 2 * MINUTE, bypass: [] };

function counterWith(starts: readonly number[]): StartCounter {
  const c = new StartCounter(counterHorizonMs(cfg));
  for (const t of starts) c.add(t);
  return c;
}

describe("storm decisions", () => {
  test("enters at the 50th start within a minute, not at the 49th", () => {
    const starts = Array.from({ length: 49 }, (_, i) => i * 1000);
    assert.equal(entersStorm(counterWith(starts), 48_000, cfg), false);
    const c = counterWith([...starts, 49_000]);
    assert.equal(entersStorm(c, 49_000, cfg), true);
  });

  test("50 starts spread over more than the window do not enter", () => {
    const c = counterWith(Array.from({ length: 50 }, (_, i) => i * 2000));
    assert.equal(entersStorm(c, 98_000, cfg), false);
  });

  test("exit needs exit.for minutes in a row below exit.below, and at least exit.for of storm", () => {
    const start = 0;
    const burst = Array.from({ length: 60 }, (_, i) => i * 500);
    const c = counterWith(burst);
    assert.equal(exitsStorm(c, start, 4 * MINUTE, cfg), false, "too early");
    assert.equal(exitsStorm(c, start, 5 * MINUTE, cfg), false, "the burst is still within the last 5 minutes");
    assert.equal(exitsStorm(c, start, 5 * MINUTE + 30_000, cfg), true);
  });

  test("hysteresis: 4 starts a minute let the storm end and do not re-open it, 5 a minute keep it going", () => {
    /** Feeds a burst of 50, then `n` starts each minute, in time order; returns the first minute the storm ends. */
    const endsAt = (n: number): number | undefined => {
      const c = new StartCounter(counterHorizonMs(cfg));
      for (let i = 0; i < 50; i++) c.add(i * 100);
      for (let m = 1; m <= 10; m++) {
        for (let j = 0; j < n; j++) c.add(m * MINUTE + 10_000 + j * 1000);
        const now = m * MINUTE + 30_000;
        assert.equal(entersStorm(c, now, cfg), false, `minute ${m}: ${n} a minute does not (re-)enter`);
        if (exitsStorm(c, 0, now, cfg)) return m;
      }
      return undefined;
    };
    assert.equal(endsAt(4), 5);
    assert.equal(endsAt(5), undefined);
  });

  test("the counter's memory is bounded by its horizon, not by the number of alerts", () => {
    const c = new StartCounter(counterHorizonMs(cfg));
    for (let i = 0; i < 100_000; i++) c.add(i * 10);
    assert.equal(c.count(1000 * 1000 - MINUTE, 1000 * 1000), 5900, "seconds 941 to 999, 100 each");
    assert.equal(c.count(0, 100 * 1000), 0, "pruned past the horizon");
  });

  test("starts replayed out of order are counted in their own second", () => {
    const c = new StartCounter(counterHorizonMs(cfg));
    c.add(10_000);
    c.add(5_000);
    c.add(5_500);
    assert.equal(c.count(4_000, 5_000), 2);
    assert.equal(c.count(0, 10_000), 3);
  });
});

describe("storm summary", () => {
  test("labels, id and recognition", () => {
    assert.deepEqual(summaryLabels("team-x"), { alertname: "AlertStorm", alertprism: "storm", receiver: "team-x", severity: "critical" });
    assert.equal(isStormSummary(summaryLabels("r")), true);
    assert.equal(isStormSummary({ alertname: "AlertStorm" }), false);
    assert.equal(stormId("r", 1000), stormId("r", 1000));
    assert.notEqual(stormId("r", 1000), stormId("s", 1000));
  });

  test("annotations count alerts and groups, by alertname, severity and priority, with the largest groups", () => {
    const r = newStormRecord("s1", "ops", 0);
    for (let i = 0; i < 30; i++) cover(r, { fingerprint: `a${i}`, labels: { alertname: i < 20 ? "NodeDown" : "DiskFull", severity: i < 25 ? "critical" : "warning", priority: "P2" }, groupKey: `g${i % 12}`, atMs: i * 1000 });
    cover(r, { fingerprint: "a0", labels: { alertname: "NodeDown" }, groupKey: "g-extra", atMs: 99_000 });
    const ann = summaryAnnotations(r, (ms) => new Date(ms).toISOString());
    assert.equal(ann.summary, "Alert storm on ops: 30 alerts in 13 groups");
    assert.equal(ann.alerts, "30");
    assert.equal(ann.groups, "13");
    assert.equal(ann.storm_id, "s1");
    const d = ann.description ?? "";
    assert.match(d, /By alertname: NodeDown=20, DiskFull=10/);
    assert.match(d, /By severity: critical=25, warning=5/);
    assert.match(d, /By priority: P2=30/);
    assert.match(d, /First seen 1970-01-01T00:00:00.000Z, last seen 1970-01-01T00:01:39.000Z/);
    assert.equal(d.split("\n").filter((l) => l.startsWith("  g")).length, 10, "ten largest groups");
    assert.match(d, /\n {2}g0: 3\n/);
  });
});
