import type { Timestamp } from "../types/time.ts";
import { parseGoJsonTime, TimeParseError, ZERO_TIME } from "../types/time.ts";
import type { LooseAlert, LooseData } from "./data.ts";
import { dataValue } from "./data.ts";
import type { JsonNode } from "./gojson.ts";
import { JsonSyntaxError, parseGoJson } from "./gojson.ts";
import { timeValue } from "./time-values.ts";
import type { TimeValue, Value } from "./types.ts";

/**
 * template.Data decoded from a JSON file exactly as Go 1.19's `json.Unmarshal(bytes, &data)` decodes it
 * (which is how `amtool template render --template.data` reads it), so a data file written by any tool
 * renders as amtool renders it:
 * - keys match struct fields case-insensitively (Go's fold: ASCII case, plus ſ for s and K for k);
 *   unknown keys are ignored; a repeated field decodes again into what is there;
 * - null leaves a string or a time as it is, and makes a map or the alert list nil;
 * - objects merge into existing maps, arrays decode element by element into the existing slice;
 * - a value of the wrong type is an error naming the field path (Go keeps decoding and reports the first),
 *   a malformed time stops the decoding at once, and a syntax error is found before anything is decoded.
 */

/** A data file that does not decode; the message is Go's. */
export class TemplateDataError extends Error {
  override readonly name = "TemplateDataError";
}

type KV = Map<string, string> | null;

interface Time {
  t: Timestamp;
  local: boolean;
}

interface Alert {
  status: string;
  labels: KV;
  annotations: KV;
  startsAt: Time;
  endsAt: Time;
  generatorURL: string;
  fingerprint: string;
}

/** A Go slice of alerts: its backing array (length = capacity) and its length. */
interface AlertSlice {
  backing: Alert[];
  len: number;
}

interface Data {
  receiver: string;
  status: string;
  alerts: AlertSlice | null;
  groupLabels: KV;
  commonLabels: KV;
  commonAnnotations: KV;
  externalURL: string;
}

const zeroTime = (): Time => ({ t: ZERO_TIME, local: false });

function zeroAlert(): Alert {
  return { status: "", labels: null, annotations: null, startsAt: zeroTime(), endsAt: zeroTime(), generatorURL: "", fingerprint: "" };
}

/** Go's case folding for field names: ASCII letters, and the two non-ASCII runes that fold to s and k. */
function fold(key: string): string {
  return key.replace(/[A-Z\u017f\u212a]/g, (c) => (c === "\u017f" ? "s" : c === "\u212a" ? "k" : c.toLowerCase()));
}

/** Where in the document a value is being decoded: Go's errorContext. */
interface Context {
  /** The innermost struct type whose field this is ("" at the top). */
  readonly struct: string;
  /** JSON names of the fields from the top. */
  readonly path: readonly string[];
}

type FieldDecoder<T> = (dec: Decoder, target: T, node: JsonNode, ctx: Context) => void;

interface StructType<T> {
  /** Go's type name without package, as errors name it. */
  readonly name: string;
  /** By folded JSON name. */
  readonly fields: ReadonlyMap<string, { readonly name: string; readonly decode: FieldDecoder<T> }>;
}

class Decoder {
  /** The first type mismatch: Go keeps decoding after it and reports it at the end. */
  private saved: string | undefined;

  mismatch(node: JsonNode, goType: string, ctx: Context): void {
    if (this.saved !== undefined) return;
    this.saved = ctx.struct === "" && ctx.path.length === 0
      ? `json: cannot unmarshal ${node.kind} into Go value of type ${goType}`
      : `json: cannot unmarshal ${node.kind} into Go struct field ${ctx.struct}.${ctx.path.join(".")} of type ${goType}`;
  }

  get firstMismatch(): string | undefined {
    return this.saved;
  }

  string(node: JsonNode, ctx: Context, set: (s: string) => void): void {
    if (node.kind === "string") set(node.value);
    else if (node.kind !== "null") this.mismatch(node, "string", ctx);
  }

  /** time.Time implements json.Unmarshaler: it gets the raw bytes of whatever value is there. */
  time(node: JsonNode, slot: Time): void {
    if (node.kind === "null") return;
    const raw = Buffer.from(node.raw).toString("utf8");
    slot.t = parseGoJsonTime(raw);
    // Go keeps time.UTC for "Z"; a numeric offset equal to the local zone's (UTC here) is time.Local.
    slot.local = !raw.endsWith('Z"');
  }

  kv(node: JsonNode, ctx: Context, current: KV): KV {
    if (node.kind === "null") return null;
    if (node.kind !== "object") {
      this.mismatch(node, "template.KV", ctx);
      return current;
    }
    const m = current ?? new Map<string, string>();
    for (const [k, v] of node.entries) {
      let value = "";
      this.string(v, ctx, (s) => (value = s));
      m.set(k, value);
    }
    return m;
  }

  struct<T>(type: StructType<T>, target: T, node: JsonNode, ctx: Context): void {
    if (node.kind === "null") return;
    if (node.kind !== "object") {
      this.mismatch(node, `template.${type.name}`, ctx);
      return;
    }
    for (const [key, value] of node.entries) {
      const field = type.fields.get(fold(key));
      if (field !== undefined) field.decode(this, target, value, { struct: type.name, path: [...ctx.path, field.name] });
    }
  }

  /** An array into a slice, as Go does it: existing elements are decoded into, the slice grows by half. */
  alerts(node: JsonNode, ctx: Context, current: AlertSlice | null): AlertSlice | null {
    if (node.kind === "null") return null;
    if (node.kind !== "array") {
      this.mismatch(node, "template.Alerts", ctx);
      return current;
    }
    if (node.items.length === 0) return { backing: [], len: 0 };
    let s = current ?? { backing: [], len: 0 };
    node.items.forEach((item, i) => {
      if (i >= s.backing.length) {
        const cap = Math.max(4, s.backing.length + Math.floor(s.backing.length / 2));
        const backing = s.backing.slice(0, s.len);
        while (backing.length < cap) backing.push(zeroAlert());
        s = { backing, len: s.len };
      }
      if (i >= s.len) s.len = i + 1;
      this.struct(ALERT_TYPE, s.backing[i] as Alert, item, ctx);
    });
    s.len = node.items.length;
    return s;
  }
}

function fields<T>(list: ReadonlyArray<readonly [string, FieldDecoder<T>]>): StructType<T>["fields"] {
  return new Map(list.map(([name, decode]) => [fold(name), { name, decode }]));
}

const ALERT_TYPE: StructType<Alert> = {
  name: "Alert",
  fields: fields<Alert>([
    ["status", (dec, a, n, c) => dec.string(n, c, (s) => (a.status = s))],
    ["labels", (dec, a, n, c) => (a.labels = dec.kv(n, c, a.labels))],
    ["annotations", (dec, a, n, c) => (a.annotations = dec.kv(n, c, a.annotations))],
    ["startsAt", (dec, a, n) => dec.time(n, a.startsAt)],
    ["endsAt", (dec, a, n) => dec.time(n, a.endsAt)],
    ["generatorURL", (dec, a, n, c) => dec.string(n, c, (s) => (a.generatorURL = s))],
    ["fingerprint", (dec, a, n, c) => dec.string(n, c, (s) => (a.fingerprint = s))],
  ]),
};

const DATA_TYPE: StructType<Data> = {
  name: "Data",
  fields: fields<Data>([
    ["receiver", (dec, d, n, c) => dec.string(n, c, (s) => (d.receiver = s))],
    ["status", (dec, d, n, c) => dec.string(n, c, (s) => (d.status = s))],
    ["alerts", (dec, d, n, c) => (d.alerts = dec.alerts(n, c, d.alerts))],
    ["groupLabels", (dec, d, n, c) => (d.groupLabels = dec.kv(n, c, d.groupLabels))],
    ["commonLabels", (dec, d, n, c) => (d.commonLabels = dec.kv(n, c, d.commonLabels))],
    ["commonAnnotations", (dec, d, n, c) => (d.commonAnnotations = dec.kv(n, c, d.commonAnnotations))],
    ["externalURL", (dec, d, n, c) => dec.string(n, c, (s) => (d.externalURL = s))],
  ]),
};

const labelSet = (m: KV): Record<string, string> | undefined => (m === null ? undefined : Object.fromEntries(m));

function timeOf(x: Time): TimeValue {
  return { ...timeValue(x.t), local: x.local };
}

function toLoose(d: Data): LooseData {
  const alerts = d.alerts === null ? undefined : d.alerts.backing.slice(0, d.alerts.len).map((a): LooseAlert => ({
    status: a.status,
    labels: labelSet(a.labels),
    annotations: labelSet(a.annotations),
    startsAt: timeOf(a.startsAt),
    endsAt: timeOf(a.endsAt),
    generatorURL: a.generatorURL,
    fingerprint: a.fingerprint,
  }));
  return {
    receiver: d.receiver,
    status: d.status,
    alerts,
    groupLabels: labelSet(d.groupLabels),
    commonLabels: labelSet(d.commonLabels),
    commonAnnotations: labelSet(d.commonAnnotations),
    externalURL: d.externalURL,
  };
}

/** template.Data from a JSON document (bytes, or text taken as UTF-8). Throws TemplateDataError. */
export function templateDataFromJson(json: Uint8Array | string): Value {
  const bytes = typeof json === "string" ? Buffer.from(json, "utf8") : json;
  let doc: JsonNode;
  try {
    doc = parseGoJson(bytes);
  } catch (err) {
    if (err instanceof JsonSyntaxError) throw new TemplateDataError(err.message);
    throw err;
  }
  const data: Data = { receiver: "", status: "", alerts: null, groupLabels: null, commonLabels: null, commonAnnotations: null, externalURL: "" };
  const decoder = new Decoder();
  try {
    decoder.struct(DATA_TYPE, data, doc, { struct: "", path: [] });
  } catch (err) {
    // A time.Time's UnmarshalJSON error ends the decoding at once, whatever was saved before.
    if (err instanceof TimeParseError) throw new TemplateDataError(err.message);
    throw err;
  }
  if (decoder.firstMismatch !== undefined) throw new TemplateDataError(decoder.firstMismatch);
  return dataValue(toLoose(data));
}
