import assert from "node:assert/strict";
import { test } from "node:test";
import type { NotificationData } from "../notify/notifier.ts";
import { parseApiTime, ZERO_TIME } from "../types/time.ts";
import { templateDataFrom } from "./data.ts";
import type { TemplateDataInput } from "./data.ts";
import { TemplateSet } from "./template-set.ts";

const notification: NotificationData = {
  receiver: "team\\-x",
  status: "firing",
  alerts: [
    {
      status: "firing",
      labels: { alertname: "A", aaa: "1", instance: "h:9100" },
      annotations: { summary: "s" },
      startsAt: parseApiTime("2024-03-05T10:15:30.5Z"),
      endsAt: ZERO_TIME,
      generatorURL: "http://g",
      fingerprint: "f1",
    },
    {
      status: "resolved",
      labels: { alertname: "A", instance: "h2:9100" },
      annotations: {},
      startsAt: parseApiTime("2024-03-05T10:00:00Z"),
      endsAt: parseApiTime("2024-03-05T11:00:00Z"),
      generatorURL: "",
      fingerprint: "f2",
    },
  ],
  groupLabels: { alertname: "A" },
  commonLabels: { alertname: "A" },
  commonAnnotations: {},
  externalURL: "http://am",
};

// NotificationData must stay usable as the template input.
const asInput: TemplateDataInput = notification;
const data = templateDataFrom(asInput);
const render = (text: string) => new TemplateSet().renderText(text, data);

test("the notification's fields under Alertmanager's names", () => {
  assert.equal(render("{{ .Receiver }} {{ .Status }} {{ .ExternalURL }} {{ .GroupLabels }} {{ len .Alerts }}"), "team\\-x firing http://am map[alertname:A] 2");
  assert.equal(
    render("{{ range .Alerts }}{{ .Status }} {{ .StartsAt }} {{ .EndsAt }} {{ .GeneratorURL }} {{ .Fingerprint }};{{ end }}"),
    "firing 2024-03-05 10:15:30.5 +0000 UTC 0001-01-01 00:00:00 +0000 UTC http://g f1;resolved 2024-03-05 10:00:00 +0000 UTC 2024-03-05 11:00:00 +0000 UTC  f2;",
  );
});

test("Alerts.Firing and Alerts.Resolved", () => {
  assert.equal(render("{{ len .Alerts.Firing }} {{ range .Alerts.Resolved }}{{ .Labels.instance }}{{ end }} {{ printf \"%T\" .Alerts.Firing }}"), "1 h2:9100 []template.Alert");
});

test("KV methods: alertname sorts first", () => {
  assert.equal(render("{{ (index .Alerts 0).Labels.SortedPairs }}"), "[{alertname A} {aaa 1} {instance h:9100}]");
  assert.equal(render("{{ (index .Alerts 0).Labels.Names }} {{ (index .Alerts 0).Labels.Values }}"), "[alertname aaa instance] [A 1 h:9100]");
  assert.equal(render('{{ (index .Alerts 0).Labels.Remove (stringSlice "aaa") }}'), "map[alertname:A instance:h:9100]");
  assert.equal(render("{{ range .CommonLabels.SortedPairs }}{{ .Name }}={{ .Value }}{{ end }}"), "alertname=A");
});
