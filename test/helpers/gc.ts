// A forced garbage collection for memory checks, with or without node's --expose-gc flag.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export function gcFunction(): () => void {
  if (typeof globalThis.gc === "function") return globalThis.gc;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** heapUsed in MB after a few full collections, each followed by a turn so finalizers and weak callbacks run. */
export async function heapAfterGc(gc: () => void = gcFunction()): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** Whether the object behind `ref` is collected after a few full collections. */
export async function collected(ref: WeakRef<object>, gc: () => void = gcFunction()): Promise<boolean> {
  for (let i = 0; i < 6; i++) {
    // A deref() keeps its target alive until the end of the current turn: collect in a later one.
    await new Promise((r) => setTimeout(r, 5));
    gc();
    await new Promise((r) => setTimeout(r, 5));
    if (ref.deref() === undefined) return true;
  }
  return false;
}
