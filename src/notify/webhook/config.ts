import { z } from "zod";
import { ConfigError } from "../../lib/errors.ts";
import type { Channel, ChannelDeps, Where } from "../channel.ts";
import { checkHttpUrl, createHttpClient, integrationHttpConfig, readableFile, validateConfig } from "../http.ts";
import type { Notifier } from "../notifier.ts";
import { WebhookNotifier, type WebhookConfig } from "./webhook.ts";

export type { WebhookConfig };

const rawWebhookSchema = z.strictObject({
  send_resolved: z.boolean().optional(),
  http_config: z.unknown().optional(),
  url: z.string().optional(),
  url_file: z.string().optional(),
  max_alerts: z.number().int("max_alerts must be a whole number").min(0, "max_alerts must not be negative").optional(),
});

export function parseWebhookConfig(raw: Readonly<Record<string, unknown>>, global: Readonly<Record<string, unknown>>, where: Where): WebhookConfig {
  const c = validateConfig(rawWebhookSchema, raw, where, []);
  const url = c.url || undefined;
  const urlFile = c.url_file || undefined;
  if (url && urlFile) throw new ConfigError("at most one of url & url_file must be configured", where(["url"]));
  if (!url && !urlFile) throw new ConfigError("one of url or url_file must be configured", where([]));
  const httpConfig = integrationHttpConfig(raw, global, where);
  const base = { sendResolved: c.send_resolved ?? true, maxAlerts: c.max_alerts ?? 0, httpConfig };
  return url
    ? { url: checkHttpUrl(url, where(["url"])), ...base }
    : { urlFile: readableFile(urlFile!, where(["url_file"])), ...base };
}

export const webhookChannel: Channel<WebhookConfig> = {
  kind: "webhook",
  parseConfig: parseWebhookConfig,
  create(config: WebhookConfig, index: number, deps: ChannelDeps): Notifier {
    return new WebhookNotifier(config, index, createHttpClient(config.httpConfig, deps.userAgent, deps.firewall));
  },
};
