import { test } from "node:test";
import assert from "node:assert/strict";
import { parseAlertmanagerConfig } from "../config/alertmanager.ts";
import { Route } from "./route.ts";

const config = parseAlertmanagerConfig(`
route:
  receiver: default
  group_by: [alertname, cluster]
  group_wait: 10s
  routes:
    - matchers: ['team="ops"']
      receiver: ops
      continue: true
      repeat_interval: 1h
    - matchers: ['team=~"ops|dev"']
      receiver: dev
      group_by: ['...']
    - match: {team: all}
      receiver: all
      group_by: [alertname, host]
      routes:
        - matchers: ['severity="critical"']
          receiver: pager
receivers: [{name: default}, {name: ops}, {name: dev}, {name: all}, {name: pager}]
`);
const root = Route.root(config.route);

test("depth-first matching with continue", () => {
  assert.deepEqual(root.match({ team: "ops" }).map((r) => r.opts.receiver), ["ops", "dev"]);
  assert.deepEqual(root.match({ team: "dev" }).map((r) => r.opts.receiver), ["dev"]);
  assert.deepEqual(root.match({ team: "x" }).map((r) => r.opts.receiver), ["default"]);
  assert.deepEqual(root.match({ team: "all", severity: "critical" }).map((r) => r.opts.receiver), ["pager"]);
  assert.deepEqual(root.match({ team: "all" }).map((r) => r.opts.receiver), ["all"]);
});

test("options are inherited, time intervals are not", () => {
  const [ops] = root.match({ team: "ops" });
  assert.equal(ops!.opts.groupWaitMs, 10_000);
  assert.equal(ops!.opts.groupIntervalMs, 5 * 60_000);
  assert.equal(ops!.opts.repeatIntervalMs, 3600_000);
  assert.deepEqual(ops!.opts.groupBy, ["alertname", "cluster"]);
  const [pager] = root.match({ team: "all", severity: "critical" });
  assert.deepEqual(pager!.opts.groupBy, ["alertname", "host"]);
  assert.equal(pager!.opts.repeatIntervalMs, 4 * 3600_000);
});

test("group keys are Alertmanager's", () => {
  const labels = { alertname: "Disk", cluster: "eu", instance: "a" };
  assert.equal(root.groupKey(root.groupLabels(labels)), '{}:{alertname="Disk", cluster="eu"}');
  const [, dev] = root.match({ alertname: "Deploy", team: "ops" });
  assert.equal(dev!.groupKey(dev!.groupLabels({ alertname: "Deploy", team: "ops" })), '{}/{team=~"ops|dev"}:{alertname="Deploy", team="ops"}');
  const [all] = root.match({ alertname: "Any", host: "h1", team: "all" });
  assert.equal(all!.groupKey(all!.groupLabels({ alertname: "Any", host: "h1", team: "all" })), '{}/{team="all"}:{alertname="Any", host="h1"}');
});
