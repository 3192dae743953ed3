import { readFileSync } from "node:fs";
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Document, type Node } from "yaml";
import type { z } from "zod";
import { ConfigError, errorMessage } from "../lib/errors.ts";

export type ConfigPath = ReadonlyArray<string | number>;

/** A parsed YAML file that can say where a path is, for error messages with file and line. */
export interface YamlSource {
  readonly file: string;
  /** The document as plain data, `${VAR}` references already expanded. */
  readonly data: unknown;
  /**
   * JSON-pointer-like keys ("receivers/0/slack_configs/0/api_url") of values that came from the environment:
   * every string holding a `${…}` reference, also when its `:-` default was used (masking a default costs
   * nothing; telling defaults from real secrets per reference would be one more way to leak one).
   */
  readonly fromEnv: ReadonlySet<string>;
  where(path: ConfigPath): string;
}

/**
 * `${VAR}`, or `${VAR:-default}` with the shell's meaning: the default (which may be empty, and cannot
 * contain `}`) is used when VAR is unset or empty.
 */
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function pathKey(path: ConfigPath): string {
  return path.join("/");
}

export function readYamlFile(file: string, env: NodeJS.ProcessEnv = process.env): YamlSource {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read config file: ${errorMessage(err)}`, file);
  }
  return parseYaml(text, file, env);
}

export function parseYaml(text: string, file: string, env: NodeJS.ProcessEnv = process.env): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const where = (path: ConfigPath): string => locate(doc, lines, file, path);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new ConfigError(e.message.split("\n")[0] ?? "invalid YAML", pos ? `${file}:${pos.line}:${pos.col}` : file);
  }
  const fromEnv = new Set<string>();
  const data = expandEnv(doc.toJS({ maxAliasCount: 100 }), [], env, fromEnv, where);
  return { file, data: data ?? {}, fromEnv, where };
}

function expandEnv(
  value: unknown, path: Array<string | number>, env: NodeJS.ProcessEnv, fromEnv: Set<string>,
  where: (p: ConfigPath) => string,
): unknown {
  if (typeof value === "string") {
    if (!value.includes("${")) return value;
    fromEnv.add(pathKey(path));
    return value.replace(ENV_REF, (_m, name: string, fallback: string | undefined) => {
      const v = env[name];
      if (fallback !== undefined) return v === undefined || v === "" ? fallback : v;
      if (v === undefined) throw new ConfigError(`environment variable ${name} is not set`, where(path));
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, [...path, i], env, fromEnv, where));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = expandEnv(v, [...path, k], env, fromEnv, where);
    return out;
  }
  return value;
}

/** "file:line:col (path.to.key)" for the deepest node of `path` that exists. */
function locate(doc: Document, lines: LineCounter, file: string, path: ConfigPath): string {
  let node: Node | null = doc.contents as Node | null;
  let found: Node | null = node;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      found = (pair.value as Node | null) ?? (pair.key as Node);
      node = pair.value as Node | null;
    } else if (isSeq(node) && typeof key === "number") {
      node = (node.items[key] as Node | undefined) ?? null;
      if (!node) break;
      found = node;
    } else break;
  }
  const label = path.length > 0 ? ` (${path.map((k) => (typeof k === "number" ? `[${k}]` : k)).join(".").replace(/\.\[/g, "[")})` : "";
  const offset = found?.range?.[0];
  if (offset === undefined) return `${file}${label}`;
  const pos = lines.linePos(offset);
  return `${file}:${pos.line}:${pos.col}${label}`;
}

/** Validates data with a zod schema; the first issue becomes a ConfigError that names file, line and path. */
export function validateWith<T>(schema: z.ZodType<T>, src: YamlSource, data: unknown = src.data, base: ConfigPath = []): T {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = [...base, ...issue.path.filter((p): p is string | number => typeof p !== "symbol")];
  // Point at the offending key itself, not at the map that holds it.
  if (issue.code === "unrecognized_keys" && issue.keys.length > 0) path.push(issue.keys[0]!);
  throw new ConfigError(issue.message, src.where(path));
}
