import type { Alert } from "../types/alert.ts";
import type { AlertmanagerConfig } from "../config/alertmanager.ts";
import { Route } from "./route.ts";
import { labelSetString, type LabelSet } from "../types/labels.ts";

/** One aggregation group an alert belongs to: its route, the group's labels and a key unique per group. */
export interface MatchedGroup {
  readonly route: Route;
  readonly labels: LabelSet;
  readonly key: string;
}

/** The route tree of one loaded config, with each alert's receivers cached by fingerprint. */
export class RoutingTable {
  readonly root: Route;
  readonly receiverNames: readonly string[];
  private readonly cache = new Map<string, readonly string[]>();
  private readonly groupCache = new Map<string, readonly MatchedGroup[]>();

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

  /** The groups an alert belongs to, one per matching route (cached by fingerprint, as receiversFor). */
  groupsFor(alert: Alert): readonly MatchedGroup[] {
    let g = this.groupCache.get(alert.fingerprint);
    if (!g) {
      if (this.groupCache.size > 200_000) this.groupCache.clear();
      g = this.root.match(alert.labels).map((route) => {
        const labels = route.groupLabels(alert.labels);
        return { route, labels, key: `${route.id}\u0000${labelSetString(labels)}` };
      });
      this.groupCache.set(alert.fingerprint, g);
    }
    return g;
  }
}
