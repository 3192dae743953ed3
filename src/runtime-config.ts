import type { Logger } from "./lib/log.ts";
import { loadAlertmanagerConfigFile, type AlertmanagerConfig } from "./config/alertmanager.ts";
import { loadDingTalkAttachments } from "./config/alertprism.ts";
import { originalConfigYaml } from "./config/original.ts";
import { RoutingTable } from "./dispatch/routing-table.ts";
import { Inhibitor } from "./inhibit/inhibitor.ts";
import { buildNotifiers } from "./notify/registry.ts";
import { BuiltinTemplater } from "./notify/builtin-templater.ts";
import type { Notifier } from "./notify/notifier.ts";
import { parseTimeInterval, TimeIntervalSet, type TimeInterval } from "./timeinterval/index.ts";
import { VERSION } from "./version.ts";
import { createDingTalkChannel, type DingTalkChannel } from "./notify/dingtalk/config.ts";

/** Everything derived from the two config files; built whole and swapped whole on reload. */
export interface RuntimeConfig {
  readonly config: AlertmanagerConfig;
  readonly routing: RoutingTable;
  readonly inhibitor: Inhibitor;
  readonly original: string;
  readonly timeIntervals: TimeIntervalSet;
  readonly notifiers: ReadonlyMap<string, readonly Notifier[]>;
}

/** Sent on HTTP notifications: Alertmanager's token first, for receivers that look for it. */
export const USER_AGENT = `Alertmanager/0.25.0 (AlertPrism ${VERSION})`;

/**
 * Loads and validates alertmanager.yml and (optionally) alertprism.yml: routes, inhibition, time
 * intervals, every integration and its templates. Throws ConfigError naming file, line and path.
 */
export function loadRuntimeConfig(
  files: { configFile: string; alertprismFile: string | undefined }, log: Logger, env?: NodeJS.ProcessEnv,
  dingtalkChannel: DingTalkChannel = createDingTalkChannel(),
): RuntimeConfig {
  const config = loadAlertmanagerConfigFile(files.configFile, env);
  const dingtalk = files.alertprismFile ? loadDingTalkAttachments(files.alertprismFile, env) : [];
  return {
    config,
    routing: new RoutingTable(config),
    inhibitor: new Inhibitor(config.inhibitRules),
    original: originalConfigYaml(config),
    timeIntervals: parseTimeIntervals(config),
    notifiers: buildNotifiers(config, dingtalk, { templater: new BuiltinTemplater(), userAgent: USER_AGENT, log: log.child({ component: "notify" }) }, dingtalkChannel),
  };
}

/** Every named time interval of the config, parsed with file:line errors. */
function parseTimeIntervals(config: AlertmanagerConfig): TimeIntervalSet {
  const named = new Map<string, TimeInterval[]>();
  for (const key of ["mute_time_intervals", "time_intervals"] as const) {
    (config.raw[key] ?? []).forEach((entry, i) => {
      named.set(entry.name, entry.time_intervals.map((ti, j) => parseTimeInterval(ti, (path) => config.where([key, i, "time_intervals", j, ...path]))));
    });
  }
  return new TimeIntervalSet(named);
}
