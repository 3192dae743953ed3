import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../lib/clock.ts";
import { silentLogger } from "../lib/log.ts";
import { addMillis, fromMillis } from "../types/time.ts";
import { fingerprint } from "../types/labels.ts";
import { memoryStore } from "../store/test-db.ts";
import { AcksRepo } from "../store/acks-repo.ts";
import { testProvider } from "../provider/test-provider.ts";
import { Escalator } from "./escalation.ts";

const M = 60_000;
const flush = () => new Promise((r) => setImmediate(r));

test("a standby (not active) leaves due escalations alone; once active, load() takes them over and fires each once", async () => {
  const clock = new FakeClock();
  const store = memoryStore();
  const { provider } = testProvider({ alerts: store.alerts, silences: store.silences, queue: store.queue, clock });
  const labels = { alertname: "Unanswered" };
  const now = fromMillis(clock.now());
  await provider.put([{ fingerprint: fingerprint(labels), labels, annotations: {}, startsAt: now, endsAt: addMillis(now, 60 * M), updatedAt: now, generatorURL: "", timeout: false }]);
  let active = false;
  const sent: string[] = [];
  const escalator = new Escalator({
    clock, log: silentLogger(), queue: store.queue, repo: new AcksRepo(store.db), alerts: provider,
    rules: () => [{ id: "mgr", matchers: [], afterMs: 15 * M, receiver: "mgr" }],
    acknowledged: () => false,
    groupLabels: () => ({}),
    send: (receiver) => {
      sent.push(receiver);
      return Promise.resolve(true);
    },
    recordDecisions: () => undefined,
    active: () => active,
  });
  escalator.notified("{}:{}", [fingerprint(labels)], clock.now());
  await flush();
  clock.advance(16 * M);
  await flush();
  assert.deepEqual(sent, [], "a standby does not escalate");
  const pending = () => store.db.prepare("SELECT count(*) AS n FROM escalations WHERE fired_ms IS NULL AND cancelled_ms IS NULL").get() as { n: number };
  assert.equal(pending().n, 1, "and leaves the escalation pending for the sender");

  active = true;
  assert.equal(escalator.load(), 1);
  assert.equal(escalator.load(), 1, "loading again: still the one");
  clock.advance(1);
  for (let i = 0; i < 5; i++) await flush();
  assert.deepEqual(sent, ["mgr"]);
  assert.equal(pending().n, 0);
});
