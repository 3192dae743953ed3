import { fromMillis } from "../types/time.ts";
import { timeValue } from "./time-values.ts";
import type { Value } from "./types.ts";
import { ANY, ANY_MAP, ANY_SLICE, bool, float, int, INVALID, isValue, str } from "./types.ts";

/**
 * Plain JavaScript data as Go would hold it after decoding JSON into interface{}: objects become
 * map[string]interface{}, arrays []interface{}, numbers float64, null a nil interface. Dates become
 * time.Time and bigints int. Values already in the Go model pass through.
 */
export function goValueOf(x: unknown): Value {
  if (isValue(x)) return x;
  return convert(x, false);
}

function convert(x: unknown, nested: boolean): Value {
  if (x === null || x === undefined) return nested ? { kind: "nil", type: ANY } : INVALID;
  if (isValue(x)) return x;
  switch (typeof x) {
    case "string":
      return str(x);
    case "boolean":
      return bool(x);
    case "number":
      return float(x);
    case "bigint":
      return int(x);
  }
  if (x instanceof Date) return timeValue(fromMillis(x.getTime()));
  if (Array.isArray(x)) return { kind: "slice", type: ANY_SLICE, v: x.map((e) => convert(e, true)) };
  if (typeof x === "object") {
    const m = new Map<string, Value>();
    for (const [k, v] of Object.entries(x)) m.set(k, convert(v, true));
    return { kind: "map", type: ANY_MAP, v: m };
  }
  // Functions and symbols have no template meaning.
  return nested ? { kind: "nil", type: ANY } : INVALID;
}
