import type { Limits } from "./limits.ts";

/** Why a new alert was kept out of the live set. */
export type AlertCountLimit = "max_alerts" | "max_alerts_per_alertname";

/**
 * A new alert over a count limit is refused. `resolved`: it was a resolved alert the live set does not
 * hold; there is nothing to resolve and storing it would grow the set past its limit, so the caller
 * drops it without an error (a resolution is never answered with a refusal).
 */
export type Admission =
  | { readonly admitted: true }
  | { readonly admitted: false; readonly limit: AlertCountLimit; readonly resolved: boolean };

const ADMITTED: Admission = { admitted: true };

/**
 * The count limits applied to one batch, decided alert by alert in input order against the live set
 * as it stands plus what the batch already added. Only fingerprints the set does not hold count:
 * updates and resolutions of held alerts are always admitted, so an alert can be resolved at the limit.
 */
export class AlertAdmission {
  private added = 0;
  private readonly addedByName = new Map<string, number>();

  constructor(
    private readonly limits: Pick<Limits, "maxAlerts" | "maxAlertsPerAlertname">,
    private readonly held: number,
    private readonly heldWithName: (alertname: string) => number,
  ) {}

  /** `known`: the live set (or this batch) already holds the fingerprint. */
  admit(alertname: string, known: boolean, resolved: boolean): Admission {
    if (known) return ADMITTED;
    const sameName = this.heldWithName(alertname) + (this.addedByName.get(alertname) ?? 0);
    let limit: AlertCountLimit | undefined;
    if (this.held + this.added + 1 > this.limits.maxAlerts) limit = "max_alerts";
    else if (sameName + 1 > this.limits.maxAlertsPerAlertname) limit = "max_alerts_per_alertname";
    if (limit !== undefined) return { admitted: false, limit, resolved };
    this.added++;
    this.addedByName.set(alertname, (this.addedByName.get(alertname) ?? 0) + 1);
    return ADMITTED;
  }
}
