import type { FuncMap, GoFunc } from "./funcs.ts";
import { goFunc } from "./funcs.ts";
import { matchString, replaceAllString } from "./goregexp.ts";
import { title } from "./title.ts";
import type { Value } from "./types.ts";
import { bool, defineType, str, STRING, STRINGS, stringSlice } from "./types.ts";
import { mapRunes, toLowerRune, toUpperRune } from "./unicode.ts";

/** Alertmanager 0.25's template.DefaultFuncs (no humanize*, date or tz: those came later). */

/** html/template.HTML, what safeHtml returns: a string type of its own. */
export const HTML = defineType({ kind: "string", name: "template.HTML", underlying: "string" });

function s(v: Value | undefined): string {
  return v !== undefined && v.kind === "string" ? v.v : "";
}

function strings(v: Value | undefined): string[] {
  return v !== undefined && v.kind === "slice" ? v.v.map(s) : [];
}

export const ALERTMANAGER_FUNCS: FuncMap = new Map<string, GoFunc>([
  ["toUpper", goFunc({ params: [STRING], call: ([a]) => str(mapRunes(s(a), toUpperRune)) })],
  ["toLower", goFunc({ params: [STRING], call: ([a]) => str(mapRunes(s(a), toLowerRune)) })],
  ["title", goFunc({ params: [STRING], call: ([a]) => str(title(s(a))) })],
  // strings.Join with the separator first, for pipelines: {{ .Values | join ", " }}.
  ["join", goFunc({ params: [STRING, STRINGS], call: ([sep, items]) => str(strings(items).join(s(sep))) })],
  ["match", goFunc({ params: [STRING, STRING], results: 2, returnsError: true, call: ([re, text]) => bool(matchString(s(re), s(text))) })],
  ["safeHtml", goFunc({ params: [STRING], call: ([a]) => str(s(a), HTML) })],
  [
    "reReplaceAll",
    goFunc({ params: [STRING, STRING, STRING], call: ([re, repl, text]) => str(replaceAllString(s(re), s(repl), s(text))) }),
  ],
  ["stringSlice", goFunc({ params: [STRING], variadic: true, call: (args) => stringSlice(args.map(s)) })],
]);
