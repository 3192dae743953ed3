import type { Matcher } from "../types/matcher.ts";
import { isValidLabelName } from "../types/labels.ts";
import { parseMatchers, matchersFromLegacy, MatcherError } from "../matchers/index.ts";
import { ConfigError } from "../lib/errors.ts";
import { parseDuration } from "./duration.ts";
import { readYamlFile, parseYaml, validateWith, type YamlSource, type ConfigPath } from "./yaml-source.ts";
import {
  rawConfigSchema, SUPPORTED_INTEGRATIONS,
  type RawConfig, type RawRoute, type RawInhibitRule, type RawTimeInterval, type IntegrationKey,
} from "./alertmanager-schema.ts";

/** Route options as written; inheritance is resolved by the route tree (dispatch/route.ts). */
export interface RouteSpec {
  readonly receiver: string | undefined;
  /** undefined: inherit from the parent. */
  readonly groupBy: readonly string[] | undefined;
  readonly groupByAll: boolean;
  readonly groupWaitMs: number | undefined;
  readonly groupIntervalMs: number | undefined;
  readonly repeatIntervalMs: number | undefined;
  readonly matchers: readonly Matcher[];
  readonly continue: boolean;
  readonly muteTimeIntervals: readonly string[];
  readonly activeTimeIntervals: readonly string[];
  readonly routes: readonly RouteSpec[];
}

export interface InhibitRuleSpec {
  readonly sourceMatchers: readonly Matcher[];
  readonly targetMatchers: readonly Matcher[];
  readonly equal: readonly string[];
}

export interface IntegrationSpec {
  readonly kind: IntegrationKey;
  readonly index: number;
  readonly settings: Readonly<Record<string, unknown>>;
}

export interface ReceiverSpec {
  readonly name: string;
  readonly integrations: readonly IntegrationSpec[];
}

export interface AlertmanagerConfig {
  readonly file: string;
  readonly resolveTimeoutMs: number;
  readonly route: RouteSpec;
  readonly inhibitRules: readonly InhibitRuleSpec[];
  readonly receivers: readonly ReceiverSpec[];
  readonly timeIntervals: ReadonlyMap<string, readonly RawTimeInterval[]>;
  readonly templates: readonly string[];
  /** The validated file contents (env expanded), kept to re-serialise it for /api/v2/status. */
  readonly raw: RawConfig;
  readonly fromEnv: ReadonlySet<string>;
  /** Names a location in the file ("alertmanager.yml:12:9 (receivers[0]…)") for errors found later. */
  readonly where: (path: ConfigPath) => string;
}

export const DEFAULT_RESOLVE_TIMEOUT_MS = 5 * 60_000;

export function loadAlertmanagerConfigFile(file: string, env?: NodeJS.ProcessEnv): AlertmanagerConfig {
  return buildConfig(readYamlFile(file, env));
}

export function parseAlertmanagerConfig(text: string, file = "alertmanager.yml", env?: NodeJS.ProcessEnv): AlertmanagerConfig {
  return buildConfig(parseYaml(text, file, env));
}

function buildConfig(src: YamlSource): AlertmanagerConfig {
  const raw = validateWith(rawConfigSchema, src);
  const fail = (path: ConfigPath, message: string): never => {
    throw new ConfigError(message, src.where(path));
  };

  const receivers = (raw.receivers ?? []).map((r, i) => {
    const integrations: IntegrationSpec[] = [];
    for (const kind of SUPPORTED_INTEGRATIONS) {
      (r[kind] ?? []).forEach((settings, index) => integrations.push({ kind, index, settings }));
    }
    if (raw.receivers!.findIndex((o) => o.name === r.name) !== i) fail(["receivers", i, "name"], `notification config name "${r.name}" is not unique`);
    return { name: r.name, integrations };
  });
  const receiverNames = new Set(receivers.map((r) => r.name));

  const timeIntervals = new Map<string, readonly RawTimeInterval[]>();
  for (const key of ["mute_time_intervals", "time_intervals"] as const) {
    (raw[key] ?? []).forEach((ti, i) => {
      if (timeIntervals.has(ti.name)) fail([key, i, "name"], `time interval "${ti.name}" is not unique`);
      timeIntervals.set(ti.name, ti.time_intervals);
    });
  }

  if (!raw.route) fail([], "no routes provided");
  const root = raw.route!;
  if (!root.receiver) fail(["route"], "root route must specify a default receiver");
  if (root.match || root.match_re || (root.matchers && root.matchers.length > 0)) fail(["route"], "root route must not have any matchers");
  if (root.continue) fail(["route", "continue"], "cannot have continue in root route");
  if (root.mute_time_intervals?.length) fail(["route", "mute_time_intervals"], "root route must not have any mute time intervals");
  if (root.active_time_intervals?.length) fail(["route", "active_time_intervals"], "root route must not have any active time intervals");

  const convertRoute = (r: RawRoute, path: Array<string | number>): RouteSpec => {
    if (r.receiver !== undefined && !receiverNames.has(r.receiver)) fail([...path, "receiver"], `undefined receiver "${r.receiver}" used in route`);
    const groupBy = r.group_by;
    const groupByAll = groupBy?.includes("...") ?? false;
    if (groupBy) {
      if (groupByAll && groupBy.length > 1) fail([...path, "group_by"], "cannot have wildcard group_by (`...`) and other other labels at the same time");
      const seen = new Set<string>();
      groupBy.forEach((l, i) => {
        if (l === "...") return;
        if (!isValidLabelName(l)) fail([...path, "group_by", i], `invalid label name "${l}" in group_by list`);
        if (seen.has(l)) fail([...path, "group_by", i], `duplicated label "${l}" in group_by`);
        seen.add(l);
      });
    }
    const duration = (key: "group_wait" | "group_interval" | "repeat_interval"): number | undefined => {
      const v = r[key];
      if (v === undefined) return undefined;
      try {
        const ms = parseDuration(v);
        if (ms === 0 && key !== "group_wait") fail([...path, key], `${key} cannot be zero`);
        return ms;
      } catch (err) {
        if (err instanceof ConfigError && err.where) throw err;
        return fail([...path, key], (err as Error).message);
      }
    };
    for (const key of ["mute_time_intervals", "active_time_intervals"] as const) {
      (r[key] ?? []).forEach((name, i) => {
        if (!timeIntervals.has(name)) fail([...path, key, i], `undefined time interval "${name}" used in route`);
      });
    }
    return {
      receiver: r.receiver,
      groupBy: groupByAll ? [] : groupBy,
      groupByAll,
      groupWaitMs: duration("group_wait"),
      groupIntervalMs: duration("group_interval"),
      repeatIntervalMs: duration("repeat_interval"),
      matchers: routeMatchers(r.match, r.match_re, r.matchers, path, fail),
      continue: r.continue ?? false,
      muteTimeIntervals: r.mute_time_intervals ?? [],
      activeTimeIntervals: r.active_time_intervals ?? [],
      routes: (r.routes ?? []).map((c, i) => convertRoute(c, [...path, "routes", i])),
    };
  };
  const route = convertRoute(root, ["route"]);

  const inhibitRules = (raw.inhibit_rules ?? []).map((rule, i) => convertInhibitRule(rule, ["inhibit_rules", i], fail));

  let resolveTimeoutMs = DEFAULT_RESOLVE_TIMEOUT_MS;
  if (raw.global?.resolve_timeout !== undefined) {
    try {
      resolveTimeoutMs = parseDuration(raw.global.resolve_timeout);
    } catch (err) {
      fail(["global", "resolve_timeout"], (err as Error).message);
    }
  }

  return {
    file: src.file, resolveTimeoutMs, route, inhibitRules, receivers, timeIntervals,
    templates: raw.templates ?? [], raw, fromEnv: src.fromEnv, where: src.where,
  };
}

type Fail = (path: ConfigPath, message: string) => never;

function routeMatchers(
  match: Record<string, string> | undefined, matchRe: Record<string, string> | undefined,
  matchers: string[] | undefined, path: Array<string | number>, fail: Fail,
): Matcher[] {
  const out: Matcher[] = [];
  for (const name of Object.keys(match ?? {})) if (!isValidLabelName(name)) fail([...path, "match", name], `invalid label name "${name}"`);
  for (const name of Object.keys(matchRe ?? {})) if (!isValidLabelName(name)) fail([...path, "match_re", name], `invalid label name "${name}"`);
  try {
    out.push(...matchersFromLegacy(match, undefined));
  } catch (err) {
    fail([...path, "match"], (err as Error).message);
  }
  try {
    out.push(...matchersFromLegacy(undefined, matchRe));
  } catch (err) {
    fail([...path, "match_re"], (err as Error).message);
  }
  (matchers ?? []).forEach((s, i) => {
    try {
      out.push(...parseMatchers(s));
    } catch (err) {
      if (!(err instanceof MatcherError)) throw err;
      fail([...path, "matchers", i], err.message);
    }
  });
  return out;
}

function convertInhibitRule(rule: RawInhibitRule, path: Array<string | number>, fail: Fail): InhibitRuleSpec {
  const side = (prefix: "source" | "target"): Matcher[] =>
    routeMatchers(rule[`${prefix}_match`], rule[`${prefix}_match_re`], rule[`${prefix}_matchers`], path, (p, m) =>
      fail(p.map((k) => (k === "match" || k === "match_re" || k === "matchers" ? `${prefix}_${k}` : k)), m),
    );
  const equal = rule.equal ?? [];
  equal.forEach((l, i) => {
    if (!isValidLabelName(l)) fail([...path, "equal", i], `invalid label name "${l}" in equal list`);
  });
  return { sourceMatchers: side("source"), targetMatchers: side("target"), equal };
}
