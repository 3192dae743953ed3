import type { Callable, Value } from "./types.ts";

/** A function callable from templates, described by its Go signature so calls are checked as Go does. */
export interface GoFunc extends Callable {
  /** Throws GoError for an error result (or what Go would recover from a panic). */
  call(args: readonly Value[]): Value;
  /** and/or evaluate their arguments one by one and stop at the deciding one (Go ≥ 1.18). */
  readonly shortCircuit?: "and" | "or";
}

export type FuncMap = ReadonlyMap<string, GoFunc>;

export function goFunc(spec: Omit<GoFunc, "results" | "returnsError" | "variadic"> & Partial<Pick<GoFunc, "results" | "returnsError" | "variadic">>): GoFunc {
  return { results: 1, returnsError: false, variadic: false, ...spec };
}
