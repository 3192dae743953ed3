import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { serialize } from "node:v8";
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";
import { createDetector, DETECTOR_MODES, DETECTORS, type DetectorMode, type DetectorName } from "./index.ts";
import { parseNabCsv } from "./nab-csv.ts";
import { restoreDetector, snapshotDetector, SnapshotMismatchError } from "./snapshot.ts";
import { ZScoreDetector } from "./zscore.ts";
import { SeasonalDetector } from "./seasonal.ts";
import { IForestDetector } from "./iforest.ts";
import { mulberry32 } from "./stats.ts";
import type { Detector } from "./detector.ts";

const rows = parseNabCsv(readFileSync(new URL("../../test/fixtures/nab/data/realKnownCause/machine_temperature_system_failure.csv", import.meta.url), "utf8"));
const half = rows.length >> 1;

function feed(d: Detector, from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(d.score(rows[i]!.timestampMs, rows[i]!.value));
  return out;
}

function assertSameScores(got: number[], want: number[], what: string): void {
  assert.equal(got.length, want.length, what);
  const i = got.findIndex((s, k) => s !== want[k]);
  assert.equal(i, -1, `${what}: first difference at row ${half + i}: ${got[i]} vs ${want[i]}`);
}

const isMismatch = (e: unknown) => e instanceof SnapshotMismatchError;

/** A detector that has learned something, for the mismatch tests. */
function trained(name: DetectorName, mode: DetectorMode = "flag-once", opts?: object): Detector {
  const d = createDetector(name, opts as never, mode);
  feed(d, 0, 3000);
  return d;
}

describe("detector snapshots", () => {
  for (const name of DETECTORS) {
    for (const mode of DETECTOR_MODES) {
      test(`${name} (${mode}): snapshot at half-time, restore into a fresh detector, both go on exactly as an uninterrupted run`, (t) => {
        const whole = createDetector(name, undefined, mode);
        const want = feed(whole, 0, rows.length).slice(half);
        const first = createDetector(name, undefined, mode);
        feed(first, 0, half);
        const snap = snapshotDetector(first);
        const restored = createDetector(name, undefined, mode);
        restoreDetector(restored, snap);
        const ts = rows[half]!.timestampMs;
        assert.deepEqual(restored.expectedRange(ts), first.expectedRange(ts));
        assert.equal(restored.retained(), first.retained());
        assertSameScores(feed(restored, half, rows.length), want, `${name} restored`);
        assertSameScores(feed(first, half, rows.length), want, `${name} after being snapshotted`);
        t.diagnostic(`${name} ${mode}: ${snap.length} bytes at row ${half}, ${snapshotDetector(whole).length} bytes after all ${rows.length} rows`);
      });
    }
  }

  test("restore into another kind, another mode or other options throws SnapshotMismatchError and leaves the target as it was", () => {
    const cases: [string, Detector, () => Detector][] = [
      ["zscore into seasonal", trained("zscore"), () => createDetector("seasonal")],
      ["seasonal into zscore, ongoing", trained("seasonal", "ongoing"), () => createDetector("zscore", undefined, "ongoing")],
      ["iforest into fused", trained("iforest"), () => createDetector("fused")],
      ["zscore flag-once into ongoing", trained("zscore"), () => createDetector("zscore", undefined, "ongoing")],
      ["fused flag-once into ongoing (same shape, suppress differs)", trained("fused"), () => createDetector("fused", undefined, "ongoing")],
      ["fused ongoing into flag-once", trained("fused", "ongoing"), () => createDetector("fused")],
      ["zscore alpha (same shape)", trained("zscore", "ongoing", { alpha: 0.01 }), () => createDetector("zscore", undefined, "ongoing")],
      ["iforest trees", trained("iforest", "flag-once", { trees: 20 }), () => createDetector("iforest")],
      ["seasonal slots", trained("seasonal", "flag-once", { slots: 12 }), () => createDetector("seasonal")],
      // Built with `new`: no recorded options, so the structure check alone decides.
      ["new IForestDetector, other sampleSize", (() => { const d = new IForestDetector({ sampleSize: 64 }); feed(d, 0, 500); return d; })(), () => new IForestDetector()],
      ["new SeasonalDetector, other perSlot", (() => { const d = new SeasonalDetector({ perSlot: 40 }); feed(d, 0, 500); return d; })(), () => new SeasonalDetector()],
      ["new ZScoreDetector, other alpha (frozen options are compared)", (() => { const d = new ZScoreDetector({ alpha: 0.01 }); feed(d, 0, 500); return d; })(), () => new ZScoreDetector()],
      ["new ZScoreDetector into new SeasonalDetector", new ZScoreDetector(), () => new SeasonalDetector()],
      ["new ZScoreDetector into createDetector's", new ZScoreDetector(), () => createDetector("zscore", undefined, "ongoing")],
    ];
    for (const [what, source, fresh] of cases) {
      const target = fresh();
      const before = snapshotDetector(target);
      assert.throws(() => restoreDetector(target, snapshotDetector(source)), isMismatch, what);
      assert.deepEqual(snapshotDetector(target), before, `${what}: target changed`);
    }
    // The same options written in another order are the same detector.
    const a = createDetector("fused", { detectAt: 0.6, spatialTolerance: 0.1 }, "ongoing");
    feed(a, 0, 500);
    const b = createDetector("fused", { spatialTolerance: 0.1, detectAt: 0.6 }, "ongoing");
    restoreDetector(b, snapshotDetector(a));
    assert.deepEqual(feed(b, 500, 700), feed(a, 500, 700));
  });

  test("truncated, corrupt or foreign bytes throw SnapshotMismatchError, never anything else", () => {
    const good = snapshotDetector(trained("fused"));
    const fresh = () => createDetector("fused");
    const bad: Buffer[] = [Buffer.alloc(0), Buffer.from("not a snapshot"), Buffer.alloc(4096)];
    for (const n of [1, 3, 4, 7, 8, 9, 100, good.length >> 1, good.length - 1]) bad.push(good.subarray(0, n));
    bad.push(Buffer.concat([good, Buffer.from([0])]));
    const otherVersion = Buffer.from(good);
    otherVersion[3] = 99;
    bad.push(otherVersion);
    const rand = mulberry32(42);
    for (let k = 0; k < 50; k++) {
      const flipped = Buffer.from(good);
      flipped[Math.floor(rand() * flipped.length)]! ^= 1 << Math.floor(rand() * 8);
      bad.push(flipped);
    }
    // Bodies with a valid header and checksum: random bytes, deflated random bytes, payloads of the wrong shape.
    const withHeader = (body: Buffer) => {
      const head = Buffer.from(good.subarray(0, 8));
      head.writeUInt32BE(crc32(body), 4);
      return Buffer.concat([head, body]);
    };
    const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
    for (let k = 0; k < 30; k++) bad.push(withHeader(randomBytes(1 + k * 13)), withHeader(deflateRawSync(randomBytes(1 + k * 13))));
    for (const payload of [null, 5, "x", [], {}, { config: null }, { config: null, root: 5 }, { config: null, root: { c: "FusedDetector", f: {} } }, { config: null, root: { c: "FusedDetector", f: null } }]) {
      bad.push(withHeader(deflateRawSync(serialize(payload))));
    }
    for (const b of bad) assert.throws(() => restoreDetector(fresh(), b), isMismatch, `${b.length} bytes`);
    // A payload mutated inside (checksum recomputed) restores or throws SnapshotMismatchError; nothing else.
    const zs = createDetector("zscore");
    feed(zs, 0, 500);
    const payload = inflateRawSync(snapshotDetector(zs).subarray(8));
    for (let k = 0; k < 300; k++) {
      const p = Buffer.from(payload);
      p[Math.floor(rand() * p.length)] = Math.floor(rand() * 256);
      try {
        restoreDetector(createDetector("zscore"), withHeader(deflateRawSync(p)));
      } catch (e) {
        assert.ok(isMismatch(e), String(e));
      }
    }
  });

  test("a function-valued field cannot be snapshotted", () => {
    class WithCallback extends ZScoreDetector {
      onFlag = () => {};
    }
    assert.throws(() => snapshotDetector(new WithCallback()), /onFlag is a function/);
  });

  test("restore writes into the typed arrays the detector was built with", () => {
    const src = createDetector("iforest", undefined, "ongoing");
    feed(src, 0, 1000);
    const dst = createDetector("iforest", undefined, "ongoing") as unknown as { data: Float64Array; forest: { split: Float64Array } };
    const { data, forest } = dst;
    const split = forest.split;
    restoreDetector(dst as unknown as Detector, snapshotDetector(src));
    assert.equal(dst.data, data);
    assert.equal(dst.forest, forest);
    assert.equal(dst.forest.split, split);
    assert.ok(data.some((x) => x !== 0));
  });
});
