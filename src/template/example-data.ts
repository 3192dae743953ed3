import { fromMillis } from "../types/time.ts";
import type { LooseAlert } from "./data.ts";
import { dataValue } from "./data.ts";
import { timeValue } from "./time-values.ts";
import type { TimeValue, Value } from "./types.ts";

/** A clock as Go's time.Now() reads it: the wall time, and a monotonic reading since the process started. */
export interface NowReader {
  /** Milliseconds since the Unix epoch, with a fraction. */
  wallMs(): number;
  /** Nanoseconds since the process started. */
  monoNs(): bigint;
}

export const PROCESS_CLOCK: NowReader = {
  wallMs: () => performance.timeOrigin + performance.now(),
  monoNs: () => BigInt(Math.round(performance.now() * 1e6)),
};

const MINUTE_NS = 60_000_000_000n;

/** time.Now().Add(-minutes): Local, with its monotonic reading. */
function now(clock: NowReader, minusMinutes: number): TimeValue {
  const mono = clock.monoNs();
  const t = timeValue(fromMillis(clock.wallMs() - minusMinutes * 60_000));
  return { ...t, mono: mono - BigInt(minusMinutes) * MINUTE_NS, local: true };
}

/**
 * The data `amtool template render` (Alertmanager 0.25) renders against when no --template.data is given,
 * read off its output: the same receiver, status, labels, annotations, URLs and fingerprints, and times
 * taken from the clock in the same order (each alert started 5 and 10 minutes ago, and ends now).
 */
export function exampleTemplateData(clock: NowReader = PROCESS_CLOCK): Value {
  const common = { commonlabelkey1: "commonlabelvalue1", commonlabelkey2: "commonlabelvalue2" };
  const commonAnnotations = { commonannotationkey1: "commonannotationvalue1", commonannotationkey2: "commonannotationvalue2" };
  const alert = (labels: Record<string, string>, annotations: Record<string, string>, startedMinutesAgo: number, fingerprint: string): LooseAlert => ({
    status: "alertstatus",
    labels: { ...common, ...labels },
    annotations: { ...annotations, ...commonAnnotations },
    startsAt: now(clock, startedMinutesAgo),
    endsAt: now(clock, 0),
    generatorURL: "https://generatorurl.com",
    fingerprint,
  });
  return dataValue({
    receiver: "receiver",
    status: "alertstatus",
    alerts: [
      alert({ instance: "foo.bar:1234", label1: "value1", label2: "value2" }, { annotation1: "value1", annotation2: "value2" }, 5, "fingerprint1"),
      alert({ baz: "qux", foo: "bar" }, { aaa: "bbb", ccc: "ddd" }, 10, "fingerprint2"),
    ],
    groupLabels: { grouplabelkey1: "grouplabelvalue1", grouplabelkey2: "grouplabelvalue2" },
    commonLabels: common,
    commonAnnotations,
    externalURL: "https://example.com",
  });
}
