import type { Matcher } from "../types/matcher.ts";
import type { LabelSet } from "../types/labels.ts";
import { pickLabels, labelSetString } from "../types/labels.ts";
import { matchesAll, matchersString, sortMatchers } from "../matchers/index.ts";
import type { RouteSpec } from "../config/alertmanager.ts";

/** Options a route resolves after inheriting from its parents (Alertmanager's RouteOpts). */
export interface RouteOptions {
  readonly receiver: string;
  readonly groupBy: readonly string[];
  readonly groupByAll: boolean;
  readonly groupWaitMs: number;
  readonly groupIntervalMs: number;
  readonly repeatIntervalMs: number;
  readonly muteTimeIntervals: readonly string[];
  readonly activeTimeIntervals: readonly string[];
}

export const ROUTE_DEFAULTS = { groupWaitMs: 30_000, groupIntervalMs: 5 * 60_000, repeatIntervalMs: 4 * 3600_000 };

/** A node of the routing tree. Pure: matching has no side effects and no timers. */
export class Route {
  readonly key: string;
  readonly id: string;
  readonly routes: readonly Route[];

  private constructor(
    readonly opts: RouteOptions,
    readonly matchers: readonly Matcher[],
    readonly continueMatching: boolean,
    parent: Route | undefined,
    childSpecs: readonly RouteSpec[],
    index: number,
  ) {
    this.key = (parent ? parent.key + "/" : "") + matchersString(matchers);
    // Distinguishes siblings with the same matchers, which Alertmanager's key alone does not.
    this.id = parent ? `${parent.id}/${index}` : "0";
    this.routes = childSpecs.map((c, i) => Route.child(c, this, i));
  }

  static root(spec: RouteSpec): Route {
    const opts: RouteOptions = {
      receiver: spec.receiver ?? "",
      groupBy: spec.groupBy ?? [],
      groupByAll: spec.groupByAll,
      groupWaitMs: spec.groupWaitMs ?? ROUTE_DEFAULTS.groupWaitMs,
      groupIntervalMs: spec.groupIntervalMs ?? ROUTE_DEFAULTS.groupIntervalMs,
      repeatIntervalMs: spec.repeatIntervalMs ?? ROUTE_DEFAULTS.repeatIntervalMs,
      muteTimeIntervals: spec.muteTimeIntervals,
      activeTimeIntervals: spec.activeTimeIntervals,
    };
    return new Route(opts, sortMatchers(spec.matchers), false, undefined, spec.routes, 0);
  }

  /**
   * A route of its own, outside the tree, for alerts that go straight to one receiver: grouped by all
   * their labels, with these timers.
   */
  static pinned(receiver: string, matchers: readonly Matcher[], timers: { groupWaitMs: number; groupIntervalMs: number; repeatIntervalMs: number }): Route {
    return Route.root({
      receiver, groupBy: undefined, groupByAll: true, ...timers, matchers, continue: false, muteTimeIntervals: [], activeTimeIntervals: [], routes: [],
    });
  }

  private static child(spec: RouteSpec, parent: Route, index: number): Route {
    const p = parent.opts;
    const inheritsGroupBy = spec.groupBy === undefined;
    const opts: RouteOptions = {
      receiver: spec.receiver ?? p.receiver,
      groupBy: inheritsGroupBy ? p.groupBy : (spec.groupBy ?? []),
      groupByAll: inheritsGroupBy ? p.groupByAll : spec.groupByAll,
      groupWaitMs: spec.groupWaitMs ?? p.groupWaitMs,
      groupIntervalMs: spec.groupIntervalMs ?? p.groupIntervalMs,
      repeatIntervalMs: spec.repeatIntervalMs ?? p.repeatIntervalMs,
      // Not inherited, as in Alertmanager.
      muteTimeIntervals: spec.muteTimeIntervals,
      activeTimeIntervals: spec.activeTimeIntervals,
    };
    return new Route(opts, sortMatchers(spec.matchers), spec.continue, parent, spec.routes, index);
  }

  /** Depth-first: the matching routes an alert is dispatched to, in match order. */
  match(labels: LabelSet): Route[] {
    if (!matchesAll(this.matchers, labels)) return [];
    const all: Route[] = [];
    for (const child of this.routes) {
      const matched = child.match(labels);
      all.push(...matched);
      if (matched.length > 0 && !child.continueMatching) break;
    }
    return all.length > 0 ? all : [this];
  }

  /** The labels an alert is grouped by on this route. */
  groupLabels(labels: LabelSet): LabelSet {
    return this.opts.groupByAll ? { ...labels } : pickLabels(labels, this.opts.groupBy);
  }

  /** Alertmanager's aggregation group key: `<route key>:<group labels>`. */
  groupKey(groupLabels: LabelSet): string {
    return `${this.key}:${labelSetString(groupLabels)}`;
  }

  /** Every route of the tree, depth first. */
  *walk(): Generator<Route> {
    yield this;
    for (const r of this.routes) yield* r.walk();
  }
}
