import { z } from "zod";

/** Raw shapes of alertmanager.yml as Alertmanager 0.25 accepts them (unknown keys rejected, like its strict YAML). */

/**
 * A string field as Go's yaml.v2 fills one: any scalar is taken as its text, so `days_of_month: [7]` and
 * `match: {code: 500}` load as Alertmanager loads them.
 */
const goString = z.union([z.string(), z.number().transform(String), z.boolean().transform(String)]);
const stringList = z.array(goString);
const stringMap = z.record(z.string(), goString);
const matcherList = z.array(z.string());

export interface RawRoute {
  receiver?: string | undefined;
  group_by?: string[] | undefined;
  match?: Record<string, string> | undefined;
  match_re?: Record<string, string> | undefined;
  matchers?: string[] | undefined;
  continue?: boolean | undefined;
  routes?: RawRoute[] | undefined;
  group_wait?: string | undefined;
  group_interval?: string | undefined;
  repeat_interval?: string | undefined;
  mute_time_intervals?: string[] | undefined;
  active_time_intervals?: string[] | undefined;
}

export const rawRouteSchema: z.ZodType<RawRoute> = z.lazy(() =>
  z.strictObject({
    receiver: goString.optional(),
    group_by: stringList.optional(),
    match: stringMap.optional(),
    match_re: stringMap.optional(),
    matchers: matcherList.optional(),
    continue: z.boolean().optional(),
    routes: z.array(rawRouteSchema).optional(),
    group_wait: z.string().optional(),
    group_interval: z.string().optional(),
    repeat_interval: z.string().optional(),
    mute_time_intervals: stringList.optional(),
    active_time_intervals: stringList.optional(),
  }),
);

export const rawInhibitRuleSchema = z.strictObject({
  source_match: stringMap.optional(),
  source_match_re: stringMap.optional(),
  source_matchers: matcherList.optional(),
  target_match: stringMap.optional(),
  target_match_re: stringMap.optional(),
  target_matchers: matcherList.optional(),
  equal: stringList.optional(),
});
export type RawInhibitRule = z.infer<typeof rawInhibitRuleSchema>;

const timeRange = z.strictObject({ start_time: goString, end_time: goString });
export const rawTimeIntervalSchema = z.strictObject({
  times: z.array(timeRange).optional(),
  weekdays: stringList.optional(),
  days_of_month: stringList.optional(),
  months: stringList.optional(),
  years: stringList.optional(),
  location: z.string().optional(),
});
export type RawTimeInterval = z.infer<typeof rawTimeIntervalSchema>;

const namedTimeIntervals = z.array(
  z.strictObject({ name: z.string().min(1), time_intervals: z.array(rawTimeIntervalSchema) }),
);

const integrationList = z.array(z.record(z.string(), z.unknown()));

/** Integration types AlertPrism delivers to; Alertmanager's others are rejected rather than silently ignored. */
export const SUPPORTED_INTEGRATIONS = ["email_configs", "pagerduty_configs", "slack_configs", "webhook_configs"] as const;
export type IntegrationKey = (typeof SUPPORTED_INTEGRATIONS)[number];

const UNSUPPORTED_INTEGRATIONS = [
  "opsgenie_configs", "wechat_configs", "pushover_configs", "victorops_configs", "sns_configs",
  "telegram_configs", "webex_configs", "discord_configs",
];

export const rawReceiverSchema = z
  .strictObject({
    name: z.string().min(1, "missing name in receiver"),
    email_configs: integrationList.optional(),
    pagerduty_configs: integrationList.optional(),
    slack_configs: integrationList.optional(),
    webhook_configs: integrationList.optional(),
    ...Object.fromEntries(UNSUPPORTED_INTEGRATIONS.map((k) => [k, z.unknown().optional()])),
  })
  .superRefine((r, ctx) => {
    for (const k of UNSUPPORTED_INTEGRATIONS) {
      if ((r as Record<string, unknown>)[k] !== undefined) {
        ctx.addIssue({ code: "custom", path: [k], message: `${k} are not supported by AlertPrism (supported: ${SUPPORTED_INTEGRATIONS.join(", ")}, and dingtalk_configs in alertprism.yml)` });
      }
    }
  });
export type RawReceiver = z.infer<typeof rawReceiverSchema>;

const httpConfig = z.record(z.string(), z.unknown());

export const rawGlobalSchema = z.strictObject({
  resolve_timeout: z.string().optional(),
  http_config: httpConfig.optional(),
  smtp_from: z.string().optional(),
  smtp_hello: z.string().optional(),
  smtp_smarthost: z.string().optional(),
  smtp_auth_username: z.string().optional(),
  smtp_auth_password: z.string().optional(),
  smtp_auth_secret: z.string().optional(),
  smtp_auth_identity: z.string().optional(),
  smtp_require_tls: z.boolean().optional(),
  slack_api_url: z.string().optional(),
  slack_api_url_file: z.string().optional(),
  pagerduty_url: z.string().optional(),
  opsgenie_api_url: z.string().optional(),
  opsgenie_api_key: z.string().optional(),
  opsgenie_api_key_file: z.string().optional(),
  wechat_api_url: z.string().optional(),
  wechat_api_secret: z.string().optional(),
  wechat_api_corp_id: z.string().optional(),
  victorops_api_url: z.string().optional(),
  victorops_api_key: z.string().optional(),
  victorops_api_key_file: z.string().optional(),
  telegram_api_url: z.string().optional(),
  webex_api_url: z.string().optional(),
});
export type RawGlobal = z.infer<typeof rawGlobalSchema>;

export const rawConfigSchema = z.strictObject({
  global: rawGlobalSchema.optional(),
  route: rawRouteSchema.optional(),
  inhibit_rules: z.array(rawInhibitRuleSchema).optional(),
  receivers: z.array(rawReceiverSchema).optional(),
  templates: stringList.optional(),
  time_intervals: namedTimeIntervals.optional(),
  mute_time_intervals: namedTimeIntervals.optional(),
});
export type RawConfig = z.infer<typeof rawConfigSchema>;
