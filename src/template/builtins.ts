import type { FuncMap, GoFunc } from "./funcs.ts";
import { goFunc } from "./funcs.ts";
import { htmlEscape, jsEscape, queryEscape } from "./escape.ts";
import { formatS, formatV, sprint, sprintf, sprintln } from "./printf.ts";
import type { GoType, Value } from "./types.ts";
import { assignable, bool, GoError, indirectInterface, int, INVALID, isNilValue, lengthOf, str, STRING, uint, valuesEqual, zeroOf } from "./types.ts";
import { compareStrings } from "./unicode.ts";

/** text/template's predefined functions, with Go 1.19's behaviour and error texts. */

/** Go's truth: false for the zero value of a type and for empty strings, slices and maps. */
export function truth(v: Value): boolean {
  switch (v.kind) {
    case "invalid":
    case "nil":
      return false;
    case "bool":
      return v.v;
    case "int":
    case "uint":
      return v.v !== 0n;
    case "float":
      return v.v !== 0;
    case "complex":
      return v.re !== 0 || v.im !== 0;
    case "string":
    case "slice":
    case "map":
      return lengthOf(v) > 0;
    case "struct":
    case "time":
      return true;
  }
}

type BasicKind = "bool" | "int" | "uint" | "float" | "complex" | "string" | "invalid";

function basicKind(v: Value): BasicKind {
  switch (v.kind) {
    case "bool": case "int": case "uint": case "float": case "complex": case "string":
      return v.kind;
  }
  return "invalid";
}

const BAD_COMPARISON = "incompatible types for comparison";
const BAD_COMPARISON_TYPE = "invalid type for comparison";

function typeName(v: Value): string {
  return v.kind === "invalid" ? "<nil>" : v.type.name;
}

/** eq: arg1 == arg2 || arg1 == arg3 || …; integers compare across signedness. */
function eq(args: readonly Value[]): Value {
  const a = indirectInterface(args[0] ?? INVALID);
  if (args.length < 2) throw new GoError("missing argument for comparison");
  const k1 = basicKind(a);
  for (const raw of args.slice(1)) {
    const b = indirectInterface(raw);
    const k2 = basicKind(b);
    let same = false;
    if (k1 !== k2) {
      if (k1 === "int" && k2 === "uint") same = a.kind === "int" && b.kind === "uint" && a.v >= 0n && a.v === b.v;
      else if (k1 === "uint" && k2 === "int") same = a.kind === "uint" && b.kind === "int" && b.v >= 0n && a.v === b.v;
      else if (a.kind !== "invalid" && b.kind !== "invalid") throw new GoError(BAD_COMPARISON);
    } else if (k1 !== "invalid") {
      // Basic kinds compare by value whatever their named types (string and template.HTML, int and int64).
      same = sameBasic(a, b);
    } else {
      // Composite values: nil compares with anything nillable; otherwise Go's == if the type allows it.
      if (kindOf(a) !== kindOf(b) && a.kind !== "invalid" && b.kind !== "invalid") {
        throw new GoError(`non-comparable types ${formatS(a)}: ${typeName(a)}, ${typeName(b)}: ${formatV(b)}`);
      }
      if (isNilValue(a) || isNilValue(b)) same = isNilValue(a) === isNilValue(b);
      else if (b.kind !== "invalid" && !b.type.comparable) throw new GoError(`non-comparable type ${formatS(b)}: ${b.type.name}`);
      else same = valuesEqual(a, b);
    }
    if (same) return bool(true);
  }
  return bool(false);
}

/** Go's reflect kind, where time.Time is a struct. */
function kindOf(v: Value): string {
  return v.kind === "time" ? "struct" : v.kind;
}

/** Same basic kind, different named types (e.g. string and template.HTML): compare the values. */
function sameBasic(a: Value, b: Value): boolean {
  if (a.kind === "complex" && b.kind === "complex") return a.re === b.re && a.im === b.im;
  if ((a.kind === "bool" || a.kind === "int" || a.kind === "uint" || a.kind === "float" || a.kind === "string") && b.kind === a.kind) {
    return a.v === b.v;
  }
  return false;
}

function lt(args: readonly Value[]): boolean {
  const a = indirectInterface(args[0] ?? INVALID);
  const b = indirectInterface(args[1] ?? INVALID);
  const k1 = basicKind(a);
  if (k1 === "invalid") throw new GoError(BAD_COMPARISON_TYPE);
  const k2 = basicKind(b);
  if (k2 === "invalid") throw new GoError(BAD_COMPARISON_TYPE);
  if (k1 !== k2) {
    if (a.kind === "int" && b.kind === "uint") return a.v < 0n || a.v < b.v;
    if (a.kind === "uint" && b.kind === "int") return b.v >= 0n && a.v < b.v;
    throw new GoError(BAD_COMPARISON);
  }
  if (k1 === "bool" || k1 === "complex") throw new GoError(BAD_COMPARISON_TYPE);
  if (a.kind === "string" && b.kind === "string") return compareStrings(a.v, b.v) < 0;
  if ((a.kind === "int" || a.kind === "uint" || a.kind === "float") && b.kind === a.kind) return a.v < b.v;
  return false;
}

function le(args: readonly Value[]): boolean {
  return lt(args) || (eq(args) as { v: boolean }).v;
}

const cmp = (f: (args: readonly Value[]) => boolean): GoFunc =>
  goFunc({ params: ["value", "value"], results: 2, returnsError: true, call: (args) => bool(f(args)) });

/** The index of a slice or string element, checked as Go's indexArg does. */
function indexArg(v: Value, cap: number): number {
  let x: bigint;
  const i = indirectInterface(v);
  if (i.kind === "int" || i.kind === "uint") x = i.v;
  else if (i.kind === "invalid") throw new GoError("cannot index slice/array with nil");
  else throw new GoError(`cannot index slice/array with type ${i.type.name}`);
  if (x < 0n || x > BigInt(cap)) throw new GoError(`index out of range: ${x}`);
  return Number(x);
}

function index(args: readonly Value[]): Value {
  let item = indirectInterface(args[0] ?? INVALID);
  if (item.kind === "invalid") throw new GoError("index of untyped nil");
  for (const raw of args.slice(1)) {
    const ix = indirectInterface(raw);
    switch (item.kind) {
      case "slice": {
        const x = indexArg(ix, item.v.length);
        // Go's own check allows x == len, then reflect panics.
        if (x >= item.v.length) throw new GoError("reflect: slice index out of range");
        item = item.v[x] as Value;
        break;
      }
      case "string": {
        const bytes = Buffer.from(item.v, "utf8");
        const x = indexArg(ix, bytes.length);
        if (x >= bytes.length) throw new GoError("reflect: string index out of range");
        item = uint(bytes[x] as number);
        break;
      }
      case "map": {
        const key = prepareMapKey(ix, item.type.key as GoType);
        item = item.v.get(key) ?? zeroOf(item.type.elem as GoType);
        break;
      }
      case "nil":
        throw new GoError("index of nil pointer");
      case "invalid":
        throw new GoError("index of untyped nil");
      default:
        throw new GoError(`can't index item of type ${item.type.name}`);
    }
  }
  return item;
}

function prepareMapKey(v: Value, keyType: GoType): string {
  if (v.kind === "invalid") throw new GoError(`value is nil; should be of type ${keyType.name}`);
  if (v.kind === "string" && assignable(v.type, keyType)) return v.v;
  throw new GoError(`value has type ${v.type.name}; should be ${keyType.name}`);
}

function sliceFn(args: readonly Value[]): Value {
  const item = indirectInterface(args[0] ?? INVALID);
  const indexes = args.slice(1);
  if (item.kind === "invalid") throw new GoError("slice of untyped nil");
  if (indexes.length > 3) throw new GoError(`too many slice indexes: ${indexes.length}`);
  let cap: number;
  if (item.kind === "string") {
    if (indexes.length === 3) throw new GoError("cannot 3-index slice a string");
    cap = Buffer.byteLength(item.v, "utf8");
  } else if (item.kind === "slice") {
    cap = item.v.length;
  } else {
    throw new GoError(`can't slice item of type ${item.type.name}`);
  }
  const idx = [0, cap, cap];
  indexes.forEach((ix, i) => {
    idx[i] = indexArg(ix, cap);
  });
  const [i, j, k] = idx as [number, number, number];
  if (i > j) throw new GoError(`invalid slice index: ${i} > ${j}`);
  if (indexes.length === 3 && j > k) throw new GoError(`invalid slice index: ${j} > ${k}`);
  if (item.kind === "string") return str(Buffer.from(item.v, "utf8").subarray(i, j).toString("utf8"), item.type);
  return { kind: "slice", type: item.type, v: item.v.slice(i, j) };
}

function len(args: readonly Value[]): Value {
  const v = args[0] ?? INVALID;
  switch (v.kind) {
    case "string":
    case "slice":
    case "map":
      return int(lengthOf(v));
    case "invalid":
      throw new GoError("reflect: call of reflect.Value.Type on zero Value");
    case "nil":
      throw new GoError("len of nil pointer");
  }
  throw new GoError(`len of type ${v.type.name}`);
}

/**
 * The arguments of html, js and urlquery as one string: a lone string as is, otherwise fmt.Sprint with
 * missing values shown as "<no value>".
 */
function evalArgs(args: readonly Value[]): string {
  const only = args[0];
  if (args.length === 1 && only !== undefined && only.kind === "string" && only.type === STRING) return only.v;
  return sprint(args.map((a) => (a.kind === "invalid" || a.kind === "nil" ? str("<no value>") : a)));
}

const andOr = (which: "and" | "or"): GoFunc =>
  goFunc({
    params: ["value", "value"],
    variadic: true,
    shortCircuit: which,
    call: (args) => {
      // Only used when called without short-circuit evaluation (the executor normally handles it).
      for (const a of args) if (truth(a) === (which === "or")) return a;
      return args[args.length - 1] ?? INVALID;
    },
  });

export const BUILTINS: FuncMap = new Map<string, GoFunc>([
  ["and", andOr("and")],
  ["or", andOr("or")],
  ["not", goFunc({ params: ["value"], call: ([a]) => bool(!truth(indirectInterface(a ?? INVALID))) })],
  ["len", goFunc({ params: ["value"], results: 2, returnsError: true, call: len })],
  ["index", goFunc({ params: ["value", "value"], variadic: true, results: 2, returnsError: true, call: index })],
  ["slice", goFunc({ params: ["value", "value"], variadic: true, results: 2, returnsError: true, call: sliceFn })],
  [
    "call",
    goFunc({
      params: ["value", "value"],
      variadic: true,
      results: 2,
      returnsError: true,
      call: ([fn]) => {
        const f = indirectInterface(fn ?? INVALID);
        if (f.kind === "invalid") throw new GoError("call of nil");
        // No function values exist in Alertmanager's data, so anything reaching call is not one.
        throw new GoError(`non-function of type ${f.type.name}`);
      },
    }),
  ],
  ["html", goFunc({ params: ["any"], variadic: true, call: (args) => str(htmlEscape(evalArgs(args))) })],
  ["js", goFunc({ params: ["any"], variadic: true, call: (args) => str(jsEscape(evalArgs(args))) })],
  ["urlquery", goFunc({ params: ["any"], variadic: true, call: (args) => str(queryEscape(evalArgs(args))) })],
  ["print", goFunc({ params: ["any"], variadic: true, call: (args) => str(sprint(args)) })],
  ["println", goFunc({ params: ["any"], variadic: true, call: (args) => str(sprintln(args)) })],
  [
    "printf",
    goFunc({
      params: [STRING, "any"],
      variadic: true,
      call: ([format, ...args]) => str(sprintf(format?.kind === "string" ? format.v : "", args)),
    }),
  ],
  ["eq", goFunc({ params: ["value", "value"], variadic: true, results: 2, returnsError: true, call: eq })],
  ["ne", cmp((args) => !(eq(args) as { v: boolean }).v)],
  ["lt", cmp(lt)],
  ["le", cmp(le)],
  ["gt", cmp((args) => !le(args))],
  ["ge", cmp((args) => !lt(args))],
]);
