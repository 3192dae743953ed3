import type { AlertmanagerConfig } from "../config/alertmanager.ts";
import { ConfigError } from "../lib/errors.ts";
import type { Channel, ChannelDeps, Where } from "./channel.ts";
import type { Notifier } from "./notifier.ts";
import { webhookChannel } from "./webhook/config.ts";
import { slackChannel } from "./slack/config.ts";
import { pagerdutyChannel } from "./pagerduty/config.ts";
import { emailChannel } from "./email/config.ts";
import type { DingTalkChannel, DingTalkConfig } from "./dingtalk/config.ts";

/** alertmanager.yml integration keys and the channel that handles each. */
const AM_CHANNELS: Record<string, Channel<unknown>> = {
  webhook_configs: webhookChannel as Channel<unknown>,
  slack_configs: slackChannel as Channel<unknown>,
  pagerduty_configs: pagerdutyChannel as Channel<unknown>,
  email_configs: emailChannel as Channel<unknown>,
};

/** A DingTalk robot from alertprism.yml, attached to an Alertmanager receiver by name. */
export interface DingTalkAttachment {
  readonly receiver: string;
  readonly config: DingTalkConfig;
  /** Where the entry is, for the "unknown receiver" error. */
  readonly where: string;
}

/**
 * Validates every integration of every receiver and builds its notifier. Any invalid entry fails the
 * whole load (start-up, reload or check-config) with the file, line and path of the entry.
 */
export function buildNotifiers(
  config: AlertmanagerConfig, dingtalk: readonly DingTalkAttachment[], deps: ChannelDeps,
  /** The app's DingTalk channel: its per-robot budgets outlive reloads. */
  dingtalkChannel: DingTalkChannel,
): Map<string, Notifier[]> {
  const out = new Map<string, Notifier[]>();
  const global = (config.raw.global ?? {}) as Record<string, unknown>;
  config.receivers.forEach((receiver, ri) => {
    const list: Notifier[] = [];
    for (const integration of receiver.integrations) {
      const channel = AM_CHANNELS[integration.kind];
      if (!channel) throw new ConfigError(`unsupported integration ${integration.kind}`, config.where(["receivers", ri, integration.kind]));
      const base = ["receivers", ri, integration.kind, integration.index] as const;
      const where: Where = (path) => config.where([...base, ...path]);
      const parsed = channel.parseConfig(integration.settings, global, where);
      list.push(channel.create(parsed, integration.index, deps));
    }
    out.set(receiver.name, list);
  });
  const dingtalkIndex = new Map<string, number>();
  for (const d of dingtalk) {
    const list = out.get(d.receiver);
    if (!list) throw new ConfigError(`dingtalk_configs refers to receiver "${d.receiver}", which alertmanager.yml does not define`, d.where);
    const index = dingtalkIndex.get(d.receiver) ?? 0;
    dingtalkIndex.set(d.receiver, index + 1);
    list.push(dingtalkChannel.create(d.config, index, deps));
  }
  return out;
}
