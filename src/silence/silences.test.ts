import { test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../lib/clock.ts";
import { fromMillis } from "../types/time.ts";
import { silenceState } from "../types/silence.ts";
import { memoryStore } from "../store/test-db.ts";
import { Silences, type SilenceInput } from "./silences.ts";
import { NotFoundError, ValidationError } from "../lib/errors.ts";

const H = 3600_000;

function setup() {
  const clock = new FakeClock();
  const store = memoryStore();
  const silences = new Silences(store.silences, store.queue, clock, 120 * H);
  const input = (p: Partial<SilenceInput> & { from?: number; to?: number } = {}): SilenceInput => ({
    matchers: p.matchers ?? [{ name: "alertname", value: "X", isRegex: false, isEqual: true }],
    startsAt: p.startsAt ?? fromMillis(clock.now() + (p.from ?? 0)),
    endsAt: p.endsAt ?? fromMillis(clock.now() + (p.to ?? H)),
    createdBy: "me",
    comment: "c",
    id: p.id,
  });
  return { clock, store, silences, input };
}

test("a new silence is active, clamps a past startsAt to now, and mutes matching labels", async () => {
  const { clock, silences, input } = setup();
  const id = await silences.set(input({ from: -H }));
  const s = silences.get(id)!;
  assert.equal(s.startsAt.ms, clock.now());
  assert.equal(silenceState(s, clock.now()), "active");
  assert.deepEqual(silences.mutedBy({ alertname: "X" }, clock.now()), [id]);
  assert.deepEqual(silences.mutedBy({ alertname: "Y" }, clock.now()), []);
});

test("validation messages are Alertmanager's", async () => {
  const { silences, input } = setup();
  const cases: Array<[SilenceInput, string]> = [
    [input({ from: H, to: H }), "Failed to create silence: start time must be before end time"],
    [input({ from: -2 * H, to: -H }), "Failed to create silence: end time can't be in the past"],
    [input({ matchers: [{ name: "a", value: "", isRegex: false, isEqual: true }] }), "silence invalid: at least one matcher must not match the empty string"],
    [input({ matchers: [{ name: "a", value: ".*", isRegex: true, isEqual: true }] }), "silence invalid: at least one matcher must not match the empty string"],
    [input({ matchers: [{ name: "a-b", value: "x", isRegex: false, isEqual: true }] }), 'silence invalid: invalid label matcher 0: invalid label name "a-b"'],
    [input({ matchers: [{ name: "a", value: "(", isRegex: true, isEqual: true }] }), 'silence invalid: invalid label matcher 0: invalid regular expression "(": error parsing regexp: missing closing ): `(`'],
  ];
  for (const [i, msg] of cases) await assert.rejects(silences.set(i), (e: Error) => e instanceof ValidationError && e.message === msg, msg);
  await assert.rejects(silences.set(input({ id: "nope" })), NotFoundError);
  assert.equal(silences.list().length, 0, "nothing half-written");
});

test("update in place or replace, as Alertmanager decides", async () => {
  const { clock, silences, input } = setup();
  const id = await silences.set(input());
  const s = silences.get(id)!;
  // Active, same matchers and startsAt: updated in place.
  assert.equal(await silences.set({ ...input({ to: 2 * H }), id, startsAt: s.startsAt }), id);
  assert.equal(silences.get(id)!.endsAt.ms, clock.now() + 2 * H);
  // Changed matchers: a new id, the old one expired.
  const id2 = await silences.set({ ...input(), id, startsAt: s.startsAt, matchers: [{ name: "alertname", value: "Y", isRegex: false, isEqual: true }] });
  assert.notEqual(id2, id);
  clock.advance(1);
  assert.equal(silenceState(silences.get(id)!, clock.now()), "expired");
  // Pending silence re-posted with new future times keeps its id; with a past start gets a new one.
  const p = await silences.set(input({ from: H, to: 2 * H }));
  assert.equal(await silences.set({ ...input({ from: 3 * H, to: 4 * H }), id: p }), p);
  assert.notEqual(await silences.set({ ...input({ from: -1, to: 4 * H }), id: p }), p);
  // Expired silence: always a new id.
  assert.notEqual(await silences.set({ ...input(), id }), id);
});

test("expire: active ends now, pending starts and ends now, expired stays; GC after retention", async () => {
  const { clock, silences, input, store } = setup();
  const active = await silences.set(input());
  const pending = await silences.set(input({ from: H, to: 2 * H }));
  clock.advance(1000);
  await silences.expire(active);
  await silences.expire(pending);
  assert.equal(silences.get(active)!.endsAt.ms, clock.now());
  assert.equal(silences.get(pending)!.startsAt.ms, clock.now());
  const before = silences.get(active)!;
  await silences.expire(active);
  assert.deepEqual(silences.get(active), before);
  await assert.rejects(silences.expire("missing"), NotFoundError);
  clock.advance(121 * H);
  assert.equal(await silences.gc(), 2);
  assert.equal(store.silences.loadAll().length, 0);
});

test("silences survive a reload from the database", async () => {
  const { silences, input, store, clock } = setup();
  const id = await silences.set(input());
  const again = new Silences(store.silences, store.queue, clock, 120 * H);
  assert.equal(again.load(), 1);
  assert.deepEqual(again.get(id), silences.get(id));
  assert.deepEqual(again.mutedBy({ alertname: "X" }, clock.now()), [id]);
});

test("silences another replica stored take effect here without writing; later local updates win; deletions follow", async () => {
  const here = setup();
  const there = setup();
  const id = await there.silences.set(there.input());
  const changes: string[][] = [];
  here.silences.onChange((c) => changes.push([...c.ids]));
  here.silences.applyRemote(there.store.silences.loadAll(), []);
  assert.deepEqual(here.silences.mutedBy({ alertname: "X" }, here.clock.now()), [id]);
  assert.deepEqual(changes, [[id]]);
  assert.equal(here.store.silences.loadAll().length, 0, "nothing written here");

  const older = there.store.silences.loadAll().map((s) => ({ ...s, comment: "older", updatedAt: fromMillis(s.updatedAt.ms - 1) }));
  here.silences.applyRemote(older, []);
  assert.equal(here.silences.get(id)?.comment, "c", "an older version does not replace a newer one");

  here.silences.applyRemote([], [id]);
  assert.equal(here.silences.get(id), undefined);
  assert.deepEqual(here.silences.mutedBy({ alertname: "X" }, here.clock.now()), []);
  assert.deepEqual(changes.at(-1), [id]);
});
