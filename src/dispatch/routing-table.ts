import type { Alert } from "../types/alert.ts";
import type { AlertmanagerConfig } from "../config/alertmanager.ts";
import { Route } from "./route.ts";

/** The route tree of one loaded config, with each alert's receivers cached by fingerprint. */
export class RoutingTable {
  readonly root: Route;
  readonly receiverNames: readonly string[];
  private readonly cache = new Map<string, readonly string[]>();

  constructor(config: AlertmanagerConfig) {
    this.root = Route.root(config.route);
    this.receiverNames = config.receivers.map((r) => r.name);
  }

  /** Receivers of the routes an alert matches, in match order (duplicates kept, as Alertmanager does). */
  receiversFor(alert: Alert): readonly string[] {
    let r = this.cache.get(alert.fingerprint);
    if (!r) {
      // Labels never change for a fingerprint; bound the cache so churn cannot grow it without limit.
      if (this.cache.size > 200_000) this.cache.clear();
      r = this.root.match(alert.labels).map((route) => route.opts.receiver);
      this.cache.set(alert.fingerprint, r);
    }
    return r;
  }
}
