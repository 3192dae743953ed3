// A JSON document as a tree whose leaves are raw JSON text, so the fuzzer can write what JSON.stringify
// never does: duplicate keys, "__proto__" as a plain key, 1e400, -0, lone surrogate escapes.

export type JNode =
  | { readonly t: "raw"; readonly text: string }
  | { readonly t: "arr"; items: JNode[] }
  | { readonly t: "obj"; entries: Array<[string, JNode]> };

export const raw = (text: string): JNode => ({ t: "raw", text });

/** A plain value as a tree (keys in insertion order). */
export function fromValue(v: unknown): JNode {
  if (Array.isArray(v)) return { t: "arr", items: v.map(fromValue) };
  if (v !== null && typeof v === "object") return { t: "obj", entries: Object.entries(v).map(([k, x]) => [k, fromValue(x)]) };
  return raw(JSON.stringify(v) ?? "null");
}

/** Keys are written as given: a key may itself be raw escape text when it starts with a backslash marker. */
export function toText(n: JNode): string {
  if (n.t === "raw") return n.text;
  if (n.t === "arr") return `[${n.items.map(toText).join(",")}]`;
  return `{${n.entries.map(([k, x]) => `${k.startsWith(RAW_KEY) ? k.slice(RAW_KEY.length) : JSON.stringify(k)}:${toText(x)}`).join(",")}}`;
}

/** Prefix of a key written verbatim (e.g. `"\ud800"`, which JSON.stringify would escape differently). */
export const RAW_KEY = "\u0000raw:";

export function clone(n: JNode): JNode {
  if (n.t === "raw") return n;
  if (n.t === "arr") return { t: "arr", items: n.items.map(clone) };
  return { t: "obj", entries: n.entries.map(([k, x]) => [k, clone(x)]) };
}

/** Every container node, depth first (the root first), for picking a mutation point by index. */
export function containers(n: JNode, out: Array<Extract<JNode, { t: "arr" | "obj" }>> = []): Array<Extract<JNode, { t: "arr" | "obj" }>> {
  if (n.t === "raw") return out;
  out.push(n);
  for (const x of n.t === "arr" ? n.items : n.entries.map((e) => e[1])) containers(x, out);
  return out;
}
