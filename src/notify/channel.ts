import type { Logger } from "../lib/log.ts";
import type { Firewall } from "./firewall.ts";
import type { Notifier, Templater } from "./notifier.ts";

/** What every channel gets from the app. */
export interface ChannelDeps {
  readonly templater: Templater;
  /** Sent as User-Agent on HTTP integrations (Alertmanager sends `Alertmanager/0.25.0`). */
  readonly userAgent: string;
  readonly log: Logger;
  /** alertprism.yml `notify.firewall`: HTTP integrations connect only where it allows; absent means off. */
  readonly firewall?: Firewall;
}

/** Names a config location for errors: `where(["url"])` → "alertmanager.yml:12:9 (receivers[0].webhook_configs[0].url)". */
export type Where = (path: ReadonlyArray<string | number>) => string;

/**
 * A channel: validates one raw config entry at load (throwing ConfigError with `where`), and builds the
 * notifier. `global` is alertmanager.yml's `global` section, for defaults such as slack_api_url.
 */
export interface Channel<C> {
  readonly kind: string;
  parseConfig(raw: Readonly<Record<string, unknown>>, global: Readonly<Record<string, unknown>>, where: Where): C;
  create(config: C, index: number, deps: ChannelDeps): Notifier;
}
