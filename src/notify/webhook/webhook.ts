import { readFile } from "node:fs/promises";
import { sortedLabelNames, type LabelSet } from "../../types/labels.ts";
import { formatRfc3339Nano } from "../../types/time.ts";
import { classifyResponse, type HttpClient, type HttpConfig } from "../http.ts";
import { NotifyError, type NotificationData, type Notifier, type NotifyAlert, type NotifyRequest } from "../notifier.ts";

/** One `webhook_configs` entry, validated (see config.ts). Exactly one of `url` and `urlFile` is set. */
export interface WebhookConfig {
  readonly url?: string;
  /** Read at every send (trimmed), so the URL can rotate without a reload. */
  readonly urlFile?: string;
  readonly sendResolved: boolean;
  /** 0: no limit. */
  readonly maxAlerts: number;
  readonly httpConfig: HttpConfig;
}

export interface WebhookAlert {
  readonly status: "firing" | "resolved";
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly generatorURL: string;
  readonly fingerprint: string;
}

/** Alertmanager's webhook message, version 4. Property order is the order Alertmanager emits. */
export interface WebhookPayload {
  readonly receiver: string;
  readonly status: "firing" | "resolved";
  readonly alerts: readonly WebhookAlert[];
  readonly groupLabels: LabelSet;
  readonly commonLabels: LabelSet;
  readonly commonAnnotations: LabelSet;
  readonly externalURL: string;
  readonly version: "4";
  readonly groupKey: string;
  readonly truncatedAlerts: number;
}

/**
 * The webhook body for one batch. Alertmanager truncates to `max_alerts` BEFORE it builds the template
 * data, so status and the common labels/annotations describe only the alerts actually sent.
 */
export function buildWebhookPayload(data: NotificationData, groupKey: string, maxAlerts: number): WebhookPayload {
  const truncated = maxAlerts > 0 && data.alerts.length > maxAlerts;
  const alerts = truncated ? data.alerts.slice(0, maxAlerts) : data.alerts;
  return {
    receiver: data.receiver,
    status: truncated ? (alerts.some((a) => a.status === "firing") ? "firing" : "resolved") : data.status,
    alerts: alerts.map(webhookAlert),
    groupLabels: sortedKeys(data.groupLabels),
    commonLabels: sortedKeys(truncated ? common(alerts.map((a) => a.labels)) : data.commonLabels),
    commonAnnotations: sortedKeys(truncated ? common(alerts.map((a) => a.annotations)) : data.commonAnnotations),
    externalURL: data.externalURL,
    version: "4",
    groupKey,
    truncatedAlerts: data.alerts.length - alerts.length,
  };
}

function webhookAlert(a: NotifyAlert): WebhookAlert {
  return {
    status: a.status,
    labels: sortedKeys(a.labels),
    annotations: sortedKeys(a.annotations),
    startsAt: formatRfc3339Nano(a.startsAt),
    endsAt: formatRfc3339Nano(a.endsAt),
    generatorURL: a.generatorURL,
    fingerprint: a.fingerprint,
  };
}

/** Go encodes maps with sorted keys; insertion order is what JSON.stringify follows. */
function sortedKeys(ls: LabelSet): LabelSet {
  const out: Record<string, string> = {};
  for (const k of sortedLabelNames(ls)) out[k] = ls[k]!;
  return out;
}

function common(sets: readonly LabelSet[]): LabelSet {
  const [first, ...rest] = sets;
  if (first === undefined) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) if (rest.every((s) => s[k] === v)) out[k] = v;
  return out;
}

export class WebhookNotifier implements Notifier {
  readonly kind = "webhook";
  readonly sendResolved: boolean;

  constructor(
    private readonly config: WebhookConfig,
    readonly index: number,
    private readonly client: HttpClient,
  ) {
    this.sendResolved = config.sendResolved;
  }

  async notify(req: NotifyRequest): Promise<void> {
    const url = this.config.url ?? (await readUrlFile(this.config.urlFile!));
    const res = await this.client.postJson(url, buildWebhookPayload(req.data, req.groupKey, this.config.maxAlerts), { signal: req.signal });
    classifyResponse(res, "webhook");
  }
}

async function readUrlFile(file: string): Promise<string> {
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (err) {
    // Not retryable: a missing file will not appear within this flush.
    throw new NotifyError(false, `cannot read url_file ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
}
