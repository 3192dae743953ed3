import type { Timestamp } from "../types/time.ts";

/**
 * Go values as templates see them through reflection: every value carries its Go type, because Go's
 * rules (which methods and fields exist, what may be passed where, how fmt prints, what `eq` accepts)
 * and its error messages ("can't evaluate field X in type template.Alerts") all depend on it.
 */

export type Kind = "bool" | "int" | "uint" | "float" | "complex" | "string" | "slice" | "map" | "struct" | "interface";

export interface FieldInfo {
  readonly name: string;
  readonly type: GoType;
  readonly exported: boolean;
}

/** A parameter: a concrete type, `interface{}` ("any"), or a reflect.Value that may be invalid ("value"). */
export type Param = GoType | "any" | "value";

/** A method or function as text/template calls it. */
export interface Callable {
  readonly params: readonly Param[];
  /** The last parameter is `...T`; params holds T. */
  readonly variadic: boolean;
  /** Number of results. Go calls a method only with one result, or two when the second is an error. */
  readonly results: number;
  readonly returnsError: boolean;
}

export interface Method extends Callable {
  /** Throws GoError for an error result or a panic. */
  call(recv: Value, args: readonly Value[]): Value;
}

export interface GoType {
  readonly kind: Kind;
  /** As reflect.Type.String() prints it: "template.KV", "[]string", "interface {}". */
  readonly name: string;
  /** A defined type (string, int, template.KV) rather than a type literal ([]string). */
  readonly named: boolean;
  /** Name of the underlying type: identical underlying types make named and unnamed types assignable. */
  readonly underlying: string;
  /** Size of numeric kinds. */
  readonly bits: number;
  readonly elem: GoType | undefined;
  readonly key: GoType | undefined;
  readonly fields: readonly FieldInfo[];
  readonly methods: Map<string, Method>;
  /** fmt.Stringer, when the type has a String method. */
  stringer: ((v: Value) => string) | undefined;
  /** fmt.GoStringer, for %#v. */
  goStringer: ((v: Value) => string) | undefined;
  readonly comparable: boolean;
}

export type Value =
  | InvalidValue
  | NilValue
  | BoolValue
  | IntValue
  | UintValue
  | FloatValue
  | ComplexValue
  | StringValue
  | SliceValue
  | MapValue
  | StructValue
  | TimeValue;

/** The zero reflect.Value: a missing value (prints "<no value>"). */
export interface InvalidValue {
  readonly kind: "invalid";
}
/** A nil interface{} (e.g. a missing entry of a map[string]interface{}). */
export interface NilValue {
  readonly kind: "nil";
  readonly type: GoType;
}
export interface BoolValue {
  readonly kind: "bool";
  readonly type: GoType;
  readonly v: boolean;
}
export interface IntValue {
  readonly kind: "int";
  readonly type: GoType;
  readonly v: bigint;
}
export interface UintValue {
  readonly kind: "uint";
  readonly type: GoType;
  readonly v: bigint;
}
export interface FloatValue {
  readonly kind: "float";
  readonly type: GoType;
  readonly v: number;
}
export interface ComplexValue {
  readonly kind: "complex";
  readonly type: GoType;
  readonly re: number;
  readonly im: number;
}
export interface StringValue {
  readonly kind: "string";
  readonly type: GoType;
  readonly v: string;
}
export interface SliceValue {
  readonly kind: "slice";
  readonly type: GoType;
  readonly v: readonly Value[];
  readonly isNil?: boolean;
}
export interface MapValue {
  readonly kind: "map";
  readonly type: GoType;
  /** Keys are Go strings (every map templates meet here is keyed by string). */
  readonly v: ReadonlyMap<string, Value>;
  readonly isNil?: boolean;
}
export interface StructValue {
  readonly kind: "struct";
  readonly type: GoType;
  /** In the order of type.fields. */
  readonly v: readonly Value[];
}
/** time.Time: a struct to Go, opaque here; only its methods and String are reachable. */
export interface TimeValue {
  readonly kind: "time";
  readonly type: GoType;
  readonly v: Timestamp;
  /** Go's monotonic clock reading, in nanoseconds since the process started (what time.Now() carries). */
  readonly mono?: bigint;
  /** In time.Local rather than time.UTC (Local is UTC here, so only %#v tells them apart). */
  readonly local?: boolean;
}

const registered = new WeakSet<GoType>();

interface TypeSpec {
  kind: Kind;
  name: string;
  named?: boolean;
  underlying?: string;
  bits?: number;
  elem?: GoType;
  key?: GoType;
  fields?: readonly FieldInfo[];
  comparable?: boolean;
}

export function defineType(spec: TypeSpec): GoType {
  const fields = spec.fields ?? [];
  const comparable =
    spec.comparable ?? (spec.kind === "slice" || spec.kind === "map" ? false : fields.every((f) => f.type.comparable));
  const t: GoType = {
    kind: spec.kind,
    name: spec.name,
    named: spec.named ?? true,
    underlying: spec.underlying ?? spec.name,
    bits: spec.bits ?? 0,
    elem: spec.elem,
    key: spec.key,
    fields,
    methods: new Map(),
    stringer: undefined,
    goStringer: undefined,
    comparable,
  };
  registered.add(t);
  return t;
}

export function sliceOf(elem: GoType, name?: string): GoType {
  const literal = `[]${elem.name}`;
  return defineType({ kind: "slice", name: name ?? literal, named: name !== undefined, underlying: literal, elem });
}

export function mapOf(key: GoType, elem: GoType, name?: string): GoType {
  const literal = `map[${key.name}]${elem.name}`;
  return defineType({ kind: "map", name: name ?? literal, named: name !== undefined, underlying: literal, key, elem });
}

export const BOOL = defineType({ kind: "bool", name: "bool" });
export const INT = defineType({ kind: "int", name: "int", bits: 64 });
export const INT64 = defineType({ kind: "int", name: "int64", bits: 64 });
export const INT32 = defineType({ kind: "int", name: "int32", bits: 32 });
export const UINT8 = defineType({ kind: "uint", name: "uint8", bits: 8 });
export const FLOAT64 = defineType({ kind: "float", name: "float64", bits: 64 });
export const COMPLEX128 = defineType({ kind: "complex", name: "complex128", bits: 128 });
export const STRING = defineType({ kind: "string", name: "string" });
export const ANY = defineType({ kind: "interface", name: "interface {}", comparable: true });
export const STRINGS = sliceOf(STRING);
export const BYTES = sliceOf(UINT8);
export const ANY_SLICE = sliceOf(ANY);
export const ANY_MAP = mapOf(STRING, ANY);

export const INVALID: InvalidValue = Object.freeze({ kind: "invalid" });

export function isValue(x: unknown): x is Value {
  if (typeof x !== "object" || x === null || !("kind" in x)) return false;
  if (x.kind === "invalid") return true;
  return "type" in x && typeof x.type === "object" && x.type !== null && registered.has(x.type as GoType);
}

export function str(v: string, type: GoType = STRING): StringValue {
  return { kind: "string", type, v };
}

export function int(v: bigint | number, type: GoType = INT): IntValue {
  return { kind: "int", type, v: typeof v === "bigint" ? v : BigInt(v) };
}

export function uint(v: bigint | number, type: GoType = UINT8): UintValue {
  return { kind: "uint", type, v: typeof v === "bigint" ? v : BigInt(v) };
}

export function bool(v: boolean, type: GoType = BOOL): BoolValue {
  return { kind: "bool", type, v };
}

export function float(v: number, type: GoType = FLOAT64): FloatValue {
  return { kind: "float", type, v };
}

export function complex(re: number, im: number): ComplexValue {
  return { kind: "complex", type: COMPLEX128, re, im };
}

export function slice(type: GoType, v: readonly Value[]): SliceValue {
  return { kind: "slice", type, v };
}

export function stringSlice(items: readonly string[]): SliceValue {
  return slice(STRINGS, items.map((s) => str(s)));
}

/** The value stored in a variable of type `type` that nobody assigned. */
export function zeroOf(type: GoType): Value {
  switch (type.kind) {
    case "bool":
      return bool(false, type);
    case "int":
      return int(0n, type);
    case "uint":
      return uint(0n, type);
    case "float":
      return float(0, type);
    case "complex":
      return { kind: "complex", type, re: 0, im: 0 };
    case "string":
      return str("", type);
    case "slice":
      return { kind: "slice", type, v: [], isNil: true };
    case "map":
      return { kind: "map", type, v: new Map(), isNil: true };
    case "interface":
      return { kind: "nil", type };
    case "struct":
      return { kind: "struct", type, v: type.fields.map((f) => zeroOf(f.type)) };
  }
}

/** Go's assignability between the types that occur here (all interfaces are empty). */
export function assignable(from: GoType, to: GoType): boolean {
  if (from === to || to.kind === "interface") return true;
  return (!from.named || !to.named) && from.underlying === to.underlying;
}

/** The Go type of a value, or undefined for the invalid value. */
export function typeOf(v: Value): GoType | undefined {
  return v.kind === "invalid" ? undefined : v.type;
}

/** Length as Go's len sees it: bytes for strings. */
export function lengthOf(v: SliceValue | MapValue | StringValue): number {
  if (v.kind === "string") return Buffer.byteLength(v.v, "utf8");
  if (v.kind === "slice") return v.v.length;
  return v.v.size;
}

/** A reflect.Value that "is nil": invalid, nil interface, nil slice or map. */
export function isNilValue(v: Value): boolean {
  if (v.kind === "invalid" || v.kind === "nil") return true;
  return (v.kind === "slice" || v.kind === "map") && v.isNil === true;
}

/** Go's == on two values of comparable types (false for different dynamic types). */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a.kind === "invalid" || b.kind === "invalid") return a.kind === b.kind;
  if (a.type !== b.type) return false;
  switch (a.kind) {
    case "nil":
      return true;
    case "bool":
    case "int":
    case "uint":
    case "float":
    case "string":
      return a.v === (b as typeof a).v;
    case "complex":
      return a.re === (b as ComplexValue).re && a.im === (b as ComplexValue).im;
    case "time": {
      const t = (b as TimeValue).v;
      return a.v.ms === t.ms && a.v.subMsNanos === t.subMsNanos && a.v.offsetMinutes === t.offsetMinutes;
    }
    case "struct":
      return a.v.every((f, i) => valuesEqual(f, (b as StructValue).v[i] as Value));
    case "slice":
    case "map":
      return false;
  }
}

/** The thing inside an interface value (a nil interface becomes the invalid value). */
export function indirectInterface(v: Value): Value {
  return v.kind === "nil" ? INVALID : v;
}

/** Thrown by Go functions and methods for an error result or a recovered panic. */
export class GoError extends Error {
  override readonly name = "GoError";
}
