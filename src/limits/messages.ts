import type { AlertCountLimit } from "./alert-admission.ts";
import type { Limits } from "./limits.ts";

const MAX_NAME_CHARS = 120;

/** An alertname as it appears in a message: quoted, and cut if very long (it is the client's input). */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS)}…` : name);
}

/**
 * One message per limit (and per alertname for the per-alertname limit) for the new alerts a batch had
 * refused, so a client sending hundreds of alerts over the limit gets a few lines, not hundreds.
 */
export function countRefusalMessages(
  refused: ReadonlyArray<{ readonly limit: AlertCountLimit; readonly alertname: string }>,
  limits: Pick<Limits, "maxAlerts" | "maxAlertsPerAlertname">,
  held: number,
): string[] {
  const total = refused.filter((r) => r.limit === "max_alerts").length;
  const perName = new Map<string, number>();
  for (const r of refused) if (r.limit === "max_alerts_per_alertname") perName.set(r.alertname, (perName.get(r.alertname) ?? 0) + 1);
  const out: string[] = [];
  if (total > 0) {
    out.push(`limit reached: ${plural(total, "new alert")} refused, the live set holds ${held} alerts and limits.max_alerts is ${limits.maxAlerts} (updates and resolutions of alerts already held are accepted)`);
  }
  for (const [name, n] of perName) {
    out.push(`limit reached: ${plural(n, "new alert")} named ${quoteName(name)} refused, limits.max_alerts_per_alertname is ${limits.maxAlertsPerAlertname} (updates and resolutions of alerts already held are accepted)`);
  }
  return out;
}

export function alertTooLargeMessage(alertname: string, fingerprint: string, bytes: number, max: number): string {
  return `alert ${quoteName(alertname)} (fingerprint ${fingerprint}) too large: its labels and annotations take ${bytes} bytes, above limits.max_alert_size_bytes (${max})`;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}
