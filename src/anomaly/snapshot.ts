/**
 * Snapshot and restore of a detector's learned state, so a process that restarts (or a rule that moves)
 * goes on scoring as if it had never stopped. Generic over fields: the detector's own enumerable
 * properties are walked recursively, so a detector needs no code of its own to be saved; restoring writes
 * into a freshly constructed detector of the same kind and options and refuses anything else.
 *
 * Format: "APS" + a version byte, the CRC-32 of the body (deflate-raw has no checksum of its own, and a
 * flipped bit that still inflates must not restore as a plausible but wrong number), then the body:
 * node:v8 serialize of { config, root }, deflated at level 1 (the state is mostly float arrays, which
 * compress little; speed matters more).
 */
import { deserialize, serialize } from "node:v8";
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";
import type { Detector } from "./detector.ts";

const MAGIC = [0x41, 0x50, 0x53]; // "APS"
const VERSION = 1;
const HEADER = 8; // magic, version, CRC-32 (big-endian)
/** Bound on the inflated body, so a corrupt or hostile buffer cannot make restore allocate without limit. */
const MAX_BODY = 256 * 1024 * 1024;

/** A snapshot that cannot be restored into this detector: another kind, other options, or corrupt bytes. */
export class SnapshotMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SnapshotMismatchError";
  }
}

/**
 * How a detector was built (kind, options, mode), recorded by createDetector. Options that do not change
 * the shape of the state (an EWM weight, fused's suppression) cannot be told apart by the structure check,
 * so the snapshot carries this and restore compares it. Detectors built directly with `new` have none and
 * are checked by structure and by their non-writable fields (zscore, seasonal and iforest freeze their
 * options) alone, which misses fused's own scalars such as `suppress`.
 */
const configs = new WeakMap<Detector, string>();

export function recordConfig(d: Detector, config: unknown): void {
  configs.set(d, canonical(config));
}

/** JSON with sorted keys, so the same options written in another order compare equal. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
  }
  return typeof v === "number" ? String(v) : (JSON.stringify(v) ?? String(v)); // NaN, Infinity, undefined kept distinct
}

/** A class instance or plain object: its class name and its fields. Arrays, typed arrays and primitives stand for themselves. */
interface ObjNode {
  c: string;
  f: Record<string, unknown>;
}

function className(o: object): string {
  const proto = Object.getPrototypeOf(o) as { constructor?: { name?: unknown } } | null;
  const name = proto?.constructor?.name;
  return typeof name === "string" ? name : "null";
}

function isTypedArray(v: unknown): v is Float64Array | Int32Array | Int8Array {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** e.g. "Float64Array(25600)". */
function describeTyped(a: ArrayBufferView): string {
  return `${Object.prototype.toString.call(a).slice(8, -1)}(${(a as Float64Array).length})`;
}

/** Built-ins whose contents are not own fields: walking them would silently save nothing. */
const OPAQUE = [Map, Set, WeakMap, WeakSet, WeakRef, Date, RegExp, Promise, ArrayBuffer, SharedArrayBuffer];

function encode(v: unknown, path: string, seen: Set<object>): unknown {
  switch (typeof v) {
    case "number":
    case "boolean":
    case "string":
    case "undefined":
      return v;
    case "object":
      break;
    default: // function, bigint, symbol
      throw new TypeError(`snapshot: ${path} is a ${typeof v}, which a snapshot cannot hold`);
  }
  if (v === null) return null;
  // A shared object would come back as two copies; a cycle would not end.
  if (seen.has(v)) throw new TypeError(`snapshot: ${path} is reached twice (shared or cyclic reference)`);
  seen.add(v);
  if (isTypedArray(v)) return v; // v8 copies the bytes of just this view
  if (Array.isArray(v)) return v.map((x, i) => encode(x, `${path}[${i}]`, seen));
  if (ArrayBuffer.isView(v) || OPAQUE.some((C) => v instanceof C)) throw new TypeError(`snapshot: ${path} is a ${className(v)}, which a snapshot cannot hold`);
  const f: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const desc = Object.getOwnPropertyDescriptor(v, k)!;
    if (!("value" in desc)) throw new TypeError(`snapshot: ${path}.${k} is an accessor`);
    f[k] = encode(desc.value, `${path}.${k}`, seen);
  }
  const node: ObjNode = { c: className(v), f };
  return node;
}

/** The detector's state as a compact buffer; throws a TypeError if it holds something a snapshot cannot (a function, a Map, …). */
export function snapshotDetector(d: Detector): Buffer {
  const body = deflateRawSync(serialize({ config: configs.get(d) ?? null, root: encode(d, d.name, new Set()) }), { level: 1 });
  const head = Buffer.alloc(HEADER);
  head.set(MAGIC, 0);
  head[3] = VERSION;
  head.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

function decode(snapshot: Buffer): { config: unknown; root: unknown } {
  if (!(snapshot instanceof Uint8Array)) throw new SnapshotMismatchError("snapshot: not a buffer");
  const buf = Buffer.from(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
  if (buf.length < HEADER || buf[0] !== MAGIC[0] || buf[1] !== MAGIC[1] || buf[2] !== MAGIC[2]) throw new SnapshotMismatchError("snapshot: not a detector snapshot");
  if (buf[3] !== VERSION) throw new SnapshotMismatchError(`snapshot: format version ${buf[3]}, this build reads ${VERSION}`);
  const body = buf.subarray(HEADER);
  if (crc32(body) !== buf.readUInt32BE(4)) throw new SnapshotMismatchError("snapshot: checksum mismatch (truncated or corrupt)");
  let payload: unknown;
  try {
    payload = deserialize(inflateRawSync(body, { maxOutputLength: MAX_BODY }));
  } catch (e) {
    throw new SnapshotMismatchError(`snapshot: corrupt body (${(e as Error).message})`);
  }
  if (payload === null || typeof payload !== "object" || !("config" in payload) || !("root" in payload)) throw new SnapshotMismatchError("snapshot: corrupt body (no config and root)");
  return payload as { config: unknown; root: unknown };
}

function isObjNode(n: unknown): n is ObjNode {
  if (n === null || typeof n !== "object" || Array.isArray(n) || ArrayBuffer.isView(n)) return false;
  const o = n as Record<string, unknown>;
  return typeof o.c === "string" && o.f !== null && typeof o.f === "object" && !Array.isArray(o.f) && !ArrayBuffer.isView(o.f);
}

const isNil = (v: unknown) => v === null || v === undefined;

/**
 * Checks node (from the snapshot) against the target's value at path and queues the writes; nothing is
 * written until the whole tree has matched, so a mismatch leaves the target as it was.
 */
function plan(node: unknown, target: unknown, path: string, writes: (() => void)[]): void {
  const mismatch = (what: string) => new SnapshotMismatchError(`snapshot does not fit this detector at ${path}: ${what}`);
  if (typeof target === "function") throw new TypeError(`restore: ${path} is a function, which a snapshot cannot hold`);
  if (isTypedArray(target)) {
    if (!isTypedArray(node)) throw mismatch(`${describeTyped(target)} here, not a typed array in the snapshot`);
    if (describeTyped(node) !== describeTyped(target)) throw mismatch(`${describeTyped(target)} here, ${describeTyped(node)} in the snapshot`);
    writes.push(() => (target as Float64Array).set(node as Float64Array));
    return;
  }
  if (Array.isArray(target)) {
    if (!Array.isArray(node)) throw mismatch("an array here, not in the snapshot");
    if (node.length !== target.length) throw mismatch(`${target.length} elements here, ${node.length} in the snapshot`);
    for (let i = 0; i < target.length; i++) field(node[i], target, i, `${path}[${i}]`, writes);
    return;
  }
  if (target === null || typeof target !== "object") throw new TypeError(`restore: ${path} is not an object`);
  if (!isObjNode(node)) throw mismatch(`a ${className(target)} here, not in the snapshot`);
  if (node.c !== className(target)) throw mismatch(`a ${className(target)} here, a ${node.c} in the snapshot`);
  const keys = Object.keys(target);
  const theirs = Object.keys(node.f);
  const missing = keys.filter((k) => !Object.hasOwn(node.f, k));
  const extra = theirs.filter((k) => !Object.hasOwn(target, k) || !Object.prototype.propertyIsEnumerable.call(target, k));
  if (missing.length > 0 || extra.length > 0) throw mismatch(`fields ${missing.length > 0 ? `[${missing.join(", ")}] missing from` : `[${extra.join(", ")}] only in`} the snapshot`);
  for (const k of keys) field(node.f[k], target as Record<string, unknown>, k, `${path}.${k}`, writes);
}

/** One field or element: a primitive is written (or, if not writable, must be equal); anything else recurses. */
function field(node: unknown, owner: Record<string | number, unknown> | unknown[], key: string | number, path: string, writes: (() => void)[]): void {
  const desc = Object.getOwnPropertyDescriptor(owner, key) ?? { value: undefined, writable: true }; // an array hole
  if (!("value" in desc)) throw new TypeError(`restore: ${path} is an accessor`);
  const t: unknown = desc.value;
  if (t !== null && (typeof t === "object" || typeof t === "function")) {
    plan(node, t, path, writes);
    return;
  }
  const kind = typeof node;
  if (node !== null && kind !== "number" && kind !== "boolean" && kind !== "string" && kind !== "undefined") {
    throw new SnapshotMismatchError(`snapshot does not fit this detector at ${path}: a ${typeof t} here, an object in the snapshot`);
  }
  // A field may be unset (null/undefined) on either side; otherwise the kinds must agree.
  if (!isNil(t) && !isNil(node) && kind !== typeof t) throw new SnapshotMismatchError(`snapshot does not fit this detector at ${path}: a ${typeof t} here, a ${kind} in the snapshot`);
  if (desc.writable) {
    writes.push(() => ((owner as Record<string | number, unknown>)[key] = node));
  } else if (!Object.is(node, t)) {
    throw new SnapshotMismatchError(`snapshot does not fit this detector at ${path}: fixed at ${String(t)} here, ${String(node)} in the snapshot`);
  }
}

/**
 * Restores a snapshot into `d`, which must be freshly built the same way (kind, options, mode) as the
 * detector that was saved: typed arrays are filled with `.set`, so the object graph stays as constructed.
 * Throws SnapshotMismatchError for another kind, other options or mode, or bytes that are not an intact
 * snapshot; `d` is then left unchanged.
 */
export function restoreDetector(d: Detector, snapshot: Buffer): void {
  const { config, root } = decode(snapshot);
  const mine = configs.get(d) ?? null;
  if (config !== mine) throw new SnapshotMismatchError(`snapshot was made by a detector built as ${String(config)}, this one is built as ${String(mine)}`);
  const writes: (() => void)[] = [];
  plan(root, d, d.name, writes);
  for (const w of writes) w();
}
