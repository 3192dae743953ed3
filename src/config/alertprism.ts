import { z } from "zod";
import { readYamlFile, validateWith } from "./yaml-source.ts";
import { parseDingTalkConfigs } from "../notify/dingtalk/config.ts";
import type { DingTalkAttachment } from "../notify/registry.ts";
import { parseDuration } from "./duration.ts";
import { ConfigError } from "../lib/errors.ts";

/** AlertPrism's own settings (alertprism.yml); everything is optional and has a default. */
const durationString = z.string().refine((s) => {
  try {
    parseDuration(s);
    return true;
  } catch {
    return false;
  }
}, "not a valid duration (e.g. 30m, 120h)");

const byteSize = z.union([z.number().int().positive(), z.string().regex(/^\d+(\.\d+)?\s*(B|KiB|MiB|GiB|KB|MB|GB)?$/i, "not a size (e.g. 10MiB)")]);

export const alertprismSchema = z.strictObject({
  storage: z.strictObject({
    path: z.string().optional(),
    synchronous: z.enum(["full", "normal"]).optional(),
    history_retention: durationString.optional(),
  }).optional(),
  web: z.strictObject({
    max_request_bytes: byteSize.optional(),
    external_url: z.string().optional(),
  }).optional(),
  alerts: z.strictObject({ gc_interval: durationString.optional() }).optional(),
  silences: z.strictObject({ retention: durationString.optional() }).optional(),
  webhook_receiver: z.strictObject({
    bearer_token: z.string().min(1).optional(),
    resolve_timeout: durationString.optional(),
  }).optional(),
  /** DingTalk robots, each attached to an Alertmanager receiver by name; validated by the DingTalk channel. */
  dingtalk_configs: z.array(z.record(z.string(), z.unknown())).optional(),
});
export type AlertPrismFile = z.infer<typeof alertprismSchema>;

export function loadAlertPrismFile(file: string, env?: NodeJS.ProcessEnv): AlertPrismFile {
  const src = readYamlFile(file, env);
  return validateWith(alertprismSchema, src);
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

export function parseByteSize(v: number | string): number {
  if (typeof v === "number") return v;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v.trim());
  const unit = UNITS[(m?.[2] || "b").toLowerCase()];
  if (!m || unit === undefined) throw new ConfigError(`not a size: ${JSON.stringify(v)}`);
  return Math.floor(Number(m[1]) * unit);
}

/** The DingTalk robots of alertprism.yml, validated (also across entries), with the receiver of each. */
export function loadDingTalkAttachments(file: string, env?: NodeJS.ProcessEnv): DingTalkAttachment[] {
  const src = readYamlFile(file, env);
  const parsed = validateWith(alertprismSchema, src);
  const where = (path: ReadonlyArray<string | number>) => src.where(["dingtalk_configs", ...path]);
  return parseDingTalkConfigs(parsed.dingtalk_configs ?? [], where).map((config, i) => {
    if (!config.receiver) throw new ConfigError("receiver is required: the Alertmanager receiver this robot belongs to", where([i]));
    return { receiver: config.receiver, config, where: where([i, "receiver"]) };
  });
}
