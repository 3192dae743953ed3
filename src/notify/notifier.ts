import type { LabelSet } from "../types/labels.ts";
import type { Timestamp } from "../types/time.ts";

/** One alert as a notification carries it (Alertmanager's template.Alert). */
export interface NotifyAlert {
  readonly status: "firing" | "resolved";
  readonly labels: LabelSet;
  readonly annotations: LabelSet;
  readonly startsAt: Timestamp;
  /** The Go zero time for firing alerts, as Alertmanager sends them. */
  readonly endsAt: Timestamp;
  readonly generatorURL: string;
  readonly fingerprint: string;
  /** AlertPrism: who acknowledged it (template `.Ack`); never in Alertmanager's payloads. */
  readonly ack?: { readonly by: string; readonly atMs: number; readonly comment: string };
  /** AlertPrism: the episode's outlier class (template `.Unusual`); never in Alertmanager's payloads. */
  readonly unusual?: "new" | "rare" | "frequent";
}

/**
 * Alertmanager's template.Data: what every integration builds its message from. `receiver` is already
 * passed through Go's regexp.QuoteMeta, as Alertmanager does for all integrations.
 */
export interface NotificationData {
  readonly receiver: string;
  readonly status: "firing" | "resolved";
  readonly alerts: readonly NotifyAlert[];
  readonly groupLabels: LabelSet;
  readonly commonLabels: LabelSet;
  readonly commonAnnotations: LabelSet;
  readonly externalURL: string;
  /** AlertPrism: the one-click ack link of this notification (template `.AckURL`); never in Alertmanager's payloads. */
  readonly ackURL?: string;
}

/** Everything an integration gets for one send attempt. */
export interface NotifyRequest {
  readonly data: NotificationData;
  /** Alertmanager's group key string (`{}:{alertname="x"}`), the natural dedup/incident key. */
  readonly groupKey: string;
  /** Aborted when the flush deadline passes; integrations pass it to their HTTP/SMTP calls. */
  readonly signal: AbortSignal;
}

/**
 * A failed send. `retryable` says whether trying again later can help (network errors, 429, 5xx) or not
 * (4xx, bad payload). Integrations classify; only notify/retry.ts loops and sleeps.
 */
export class NotifyError extends Error {
  override name = "NotifyError";
  constructor(
    readonly retryable: boolean,
    /** Short, secret-free reason for logs and the delivery record. */
    readonly reason: string,
    readonly opts: { readonly status?: number; readonly retryAfterMs?: number } = {},
  ) {
    super(reason);
  }
}

/** One configured integration of a receiver (e.g. the second webhook_config of receiver "ops"). */
export interface Notifier {
  /** Integration type as Alertmanager names it: webhook, slack, pagerduty, email, dingtalk. */
  readonly kind: string;
  /** Position among the receiver's integrations of the same kind. */
  readonly index: number;
  readonly sendResolved: boolean;
  /** Resolves when delivered; throws NotifyError otherwise. Must not sleep or retry by itself. */
  notify(req: NotifyRequest): Promise<void>;
}

/** Renders a config text field against the data (built-in defaults now; Go templates slot in here). */
export interface Templater {
  render(text: string, data: NotificationData): string;
}
