import { basename } from "node:path";
import { loadAlertPrismFile, loadDingTalkAttachments, loadHeartbeats, loadIngestRules, loadLimits, loadNoiseStages, loadOpsSettings, type OpsSettings } from "./config/alertprism.ts";
import type { Limits } from "./limits/limits.ts";
import type { IngestRulesConfig, NoiseStagesConfig } from "./noise/index.ts";
import { loadAuthSettings } from "./config/auth.ts";
import type { AuthSettings } from "./auth/index.ts";
import { errorMessage } from "./lib/errors.ts";
import { silentLogger } from "./lib/log.ts";
import { loadRuntimeConfig } from "./runtime-config.ts";
import type { Settings } from "./settings.ts";
import { loadAnomalySettings } from "./config/anomaly.ts";
import type { AnomalySettings } from "./anomaly/rules/types.ts";

/**
 * `alertprism check-config [files]`: validates without starting, like `amtool check-config`, but also
 * every integration, template and time interval, and the DingTalk robots of alertprism.yml. With no
 * files, both configured files are checked together (so robots are checked against the receivers).
 */
export function checkConfig(settings: Settings, files: readonly string[], out: NodeJS.WritableStream): number {
  const isAlertPrism = (f: string) => basename(f).startsWith("alertprism");
  const checks: Array<{ label: string; run: () => string }> = files.length > 0
    ? files.map((f) => ({
        label: f,
        run: () => {
          if (isAlertPrism(f)) {
            loadAlertPrismFile(f);
            return [` - ${loadDingTalkAttachments(f).length} dingtalk robots`, ingestRulesSummary(loadIngestRules(f)), noiseStagesSummary(loadNoiseStages(f)), authSummary(loadAuthSettings(f)), opsSummary(loadOpsSettings(f)), anomalySummary(loadAnomalySettings(f)), ` - ${loadHeartbeats(f).length} heartbeats`, limitsSummary(loadLimits(f))].join("\n");
          }
          return summary(loadRuntimeConfig({ configFile: f, alertprismFile: undefined }, silentLogger()));
        },
      }))
    : [{
        label: [settings.configFile, settings.alertprismFile].filter(Boolean).join("' and '"),
        run: () => summary(loadRuntimeConfig(settings, silentLogger())),
      }];
  let failed = 0;
  for (const c of checks) {
    try {
      const found = c.run();
      out.write(`Checking '${c.label}'  SUCCESS\nFound:\n${found}\n`);
    } catch (err) {
      failed++;
      out.write(`Checking '${c.label}'  FAILED: ${errorMessage(err)}\n`);
    }
  }
  return failed === 0 ? 0 : 1;
}

function summary(r: ReturnType<typeof loadRuntimeConfig>): string {
  const integrations = [...r.notifiers.values()].reduce((n, list) => n + list.length, 0);
  return [
    " - global config",
    " - route",
    ` - ${r.config.inhibitRules.length} inhibit rules`,
    ` - ${r.config.receivers.length} receivers (${integrations} integrations)`,
    ` - ${r.config.timeIntervals.size} time intervals`,
    ` - ${r.config.templates.length} templates`,
    ingestRulesSummary(r.ingestRulesConfig),
    noiseStagesSummary(r.noiseStages),
    authSummary(r.auth),
    opsSummary(r.ops),
    anomalySummary(r.anomaly),
    ` - ${r.heartbeats.length} heartbeats`,
    limitsSummary(r.limits),
  ].join("\n");
}

function limitsSummary(l: Limits): string {
  return ` - limits: ${l.maxAlerts} alerts (${l.maxAlertsPerAlertname} per alertname, ${l.maxAlertSizeBytes} bytes each), ${l.maxSilences} silences (${l.maxSilenceSizeBytes} bytes each), ${l.maxAggregationGroups} aggregation groups`;
}

function authSummary(auth: AuthSettings | undefined): string {
  if (!auth) return " - auth off: the ops API answers on loopback addresses only; /api/v2 is open";
  const k = auth.jwt.key;
  const alg = k.kind === "secret" ? "HS256" : k.algorithm;
  const api = auth.alertmanagerApi === "basic" ? `basic (${auth.users.length} users)` : auth.alertmanagerApi;
  return ` - auth on: JWT ${alg}, ${auth.allowCidrs.length} allowed ranges, ${auth.trustedProxies.length} trusted proxies, /api/v2 ${api}`;
}

function opsSummary(ops: OpsSettings): string {
  const links = ops.ackLinks ? `one-click ack links on (valid ${ops.ackLinks.ttlMs / 1000}s)` : "one-click ack links off";
  return ` - ${links}\n - ${ops.escalation.length} escalation rules`;
}

function anomalySummary(a: AnomalySettings): string {
  const anomaly = a.rules.filter((r) => r.kind === "anomaly").length;
  const where = a.prometheus ? ` against ${new URL(a.prometheus.url).origin}` : "";
  return ` - ${anomaly} anomaly rules, ${a.rules.length - anomaly} predictions${where}`;
}

function noiseStagesSummary(stages: NoiseStagesConfig): string {
  const { storm, flapping } = stages;
  const stormText = storm
    ? `storm mode on: ${storm.enterNewAlerts} alerts within ${storm.enterWithinMs / 1000}s enter, under ${storm.exitBelow}/min for ${storm.exitForMs / 1000}s exit, ${storm.bypass.length} bypass matchers`
    : "storm mode off";
  const flapText = flapping ? `flap damping on: ${flapping.changes} changes within ${flapping.withinMs / 1000}s` : "flap damping off";
  return ` - ${stormText}\n - ${flapText}`;
}

function ingestRulesSummary(rules: IngestRulesConfig): string {
  const dedup = rules.ignoreLabels.length > 0 ? `ignoring ${rules.ignoreLabels.join(", ")}` : "off";
  return ` - replica dedup ${dedup}\n - ${rules.enrich.length} enrich rules`;
}
