import type { Clock } from "../lib/clock.ts";
import { silentLogger } from "../lib/log.ts";
import { parseAlertmanagerConfig } from "../config/alertmanager.ts";
import { Inhibitor } from "../inhibit/inhibitor.ts";
import { Silences } from "../silence/silences.ts";
import type { AlertsStore } from "../store/alerts-repo.ts";
import type { SilencesStore } from "../store/silences-repo.ts";
import type { WriteQueue } from "../store/write-queue.ts";
import { AlertProvider } from "./alert-provider.ts";
import { mutingStatus } from "./status.ts";

const M = 60_000;

/** The route the tests' providers use: one receiver, critical inhibits warning of the same alertname. */
export const TEST_CONFIG = parseAlertmanagerConfig(`
route: {receiver: a}
receivers: [{name: a}]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
`);

/**
 * For tests of the services above the store: an alert provider with silences and the inhibitor of
 * TEST_CONFIG wired as the app wires them, on whichever store it is given.
 */
export function testProvider(opts: { alerts: AlertsStore; silences: SilencesStore; queue: WriteQueue; clock: Clock }): { provider: AlertProvider; silences: Silences } {
  const silences = new Silences(opts.silences, opts.queue, opts.clock, 120 * 60 * M);
  const provider = new AlertProvider({
    repo: opts.alerts, queue: opts.queue, clock: opts.clock, log: silentLogger(),
    status: mutingStatus(silences, new Inhibitor(TEST_CONFIG.inhibitRules)), gcIntervalMs: 30 * M,
  });
  silences.onChange((change) => provider.silencesChanged(change));
  return { provider, silences };
}
