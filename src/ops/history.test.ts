import { test } from "node:test";
import assert from "node:assert/strict";
import { memoryStore } from "../store/test-db.ts";
import { HistoryRepo } from "../store/history-repo.ts";
import { fingerprint } from "../types/labels.ts";
import { fromMillis, ZERO_TIME } from "../types/time.ts";
import { parseMatcher } from "../matchers/index.ts";
import { choosePlan, queryHistory, selectSeries } from "./history.ts";
import { episodeWindows } from "./timeline.ts";

function store() {
  const s = memoryStore();
  const series: Array<Record<string, string>> = [
    { alertname: "A", team: "db", instance: "1" },
    { alertname: "A", team: "web", instance: "2" },
    { alertname: "B", team: "db" },
    { alertname: "C", instance: "3" },
  ];
  for (const labels of series) {
    const fp = fingerprint(labels);
    s.alerts.ensureSeries({ fingerprint: fp, labels, annotations: {}, startsAt: fromMillis(0), endsAt: ZERO_TIME, updatedAt: fromMillis(0), generatorURL: "", timeout: false });
    for (let t = 0; t < 5; t++) s.alerts.appendEvent(fp, 1000 * t + series.indexOf(labels), t % 2 === 0 ? "new" : "resolved");
  }
  return { ...s, repo: new HistoryRepo(s.db) };
}

const sel = async (repo: HistoryRepo, ...m: string[]) => {
  const r = await selectSeries(repo, m.map(parseMatcher));
  return { in: r.in && [...r.in].sort(), notIn: [...r.notIn].sort() };
};

test("matchers become series ids: equality through the index, others per distinct value, missing labels as empty", async () => {
  const { repo } = store();
  assert.deepEqual(await sel(repo, 'team="db"'), { in: [1, 3], notIn: [] });
  assert.deepEqual(await sel(repo, 'team="db"', 'alertname="A"'), { in: [1], notIn: [] });
  assert.deepEqual(await sel(repo, 'team=~"d.*|w.*"'), { in: [1, 2, 3], notIn: [] });
  // != and !~ also match a series without the label: they exclude, they do not select.
  assert.deepEqual(await sel(repo, 'team!="db"'), { in: undefined, notIn: [1, 3] });
  assert.deepEqual(await sel(repo, 'team!~"d.*"', 'alertname="A"'), { in: [2], notIn: [] });
  assert.deepEqual(await sel(repo, 'team=""'), { in: undefined, notIn: [1, 2, 3] });
  assert.deepEqual(await sel(repo, 'team="nobody"', 'alertname=~".+"'), { in: [], notIn: [] });
  assert.deepEqual(await sel(repo), { in: undefined, notIn: [] });
});

test("pages are keyset pages newest first; both plans give the same rows", async () => {
  const { repo } = store();
  const all = (await queryHistory(repo, { matchers: [], limit: 100 })).events.map((e) => e.id);
  assert.equal(all.length, 20);
  const walked: number[] = [];
  let before;
  do {
    const page = await queryHistory(repo, { matchers: [], limit: 3, ...(before ? { before } : {}) });
    walked.push(...page.events.map((e) => e.id));
    before = page.next;
  } while (before);
  assert.deepEqual(walked, all);
  const q = { seriesIn: [1, 3], sinceMs: 1000, untilMs: 3000, kinds: ["resolved"], limit: 10 };
  const byTime = (await repo.events({ ...q, plan: "time" })).map((e) => e.id);
  const bySeries = (await repo.events({ ...q, plan: "series" })).map((e) => e.id);
  assert.deepEqual(byTime, bySeries);
  assert.equal(byTime.length, 3);
  assert.ok(repo.explainEvents({ ...q, plan: "series" }).some((d) => d.includes("alert_events_by_series_time")));
  assert.ok(repo.explainEvents({ ...q, plan: "time" }).some((d) => d.includes("alert_events_by_time")));
});

test("the plan reads fewer rows: few series walk their own index, many walk time", () => {
  const sizes = { series: 20_000, events: 1_000_000 };
  assert.equal(choosePlan(4, sizes, 1, 100), "series");
  assert.equal(choosePlan(400, sizes, 1, 100), "time");
  assert.equal(choosePlan(4000, sizes, 1, 100), "time");
  assert.equal(choosePlan(400, sizes, 1 / 30, 100), "series");
});

test("episode windows: new → resolved + grace, merged; open-ended while firing or begun before retention", () => {
  const g = 100;
  assert.deepEqual(episodeWindows([{ atMs: 0, kind: "new" }, { atMs: 50, kind: "resolved" }, { atMs: 1000, kind: "new" }], g, undefined),
    [{ fromMs: 0, toMs: 150 }, { fromMs: 1000, toMs: 8.64e15 }]);
  assert.deepEqual(episodeWindows([{ atMs: 0, kind: "new" }, { atMs: 50, kind: "resolved" }, { atMs: 120, kind: "new" }, { atMs: 130, kind: "resolved" }], g, undefined),
    [{ fromMs: 0, toMs: 230 }]);
  assert.deepEqual(episodeWindows([{ atMs: 50, kind: "resolved" }], g, undefined), [{ fromMs: -8.64e15, toMs: 150 }]);
  assert.deepEqual(episodeWindows([], g, 500), [{ fromMs: 500, toMs: 8.64e15 }]);
});
