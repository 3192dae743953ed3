import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import Database from "better-sqlite3";
import { startTestApp, type TestApp } from "./app-fixture.ts";

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("custom Go templates in notifications", () => {
  let t: TestApp;
  let server: Server;
  const received: Array<{ attachments: Array<{ title: string; text: string }> }> = [];
  const dir = mkdtempSync(join(tmpdir(), "alertprism-tmpl-"));
  const config = (url: string) => `
templates: ['*.tmpl']
route:
  receiver: slack
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
receivers:
  - name: slack
    slack_configs:
      - api_url: ${url}/services/T/B/X
        channel: '#ops'
        send_resolved: true
        title: '{{ template "team.title" . }}'
        text: '{{ (index .Alerts 1).Labels.instance }}'
`;

  before(async () => {
    server = createServer((req, res) => {
      let b = "";
      req.on("data", (d: Buffer) => (b += d.toString()));
      req.on("end", () => {
        received.push(JSON.parse(b) as (typeof received)[number]);
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    writeFileSync(join(dir, "team.tmpl"), '{{ define "team.title" }}{{ .Status | toUpper }}: {{ range .Alerts }}{{ .Labels.alertname }}@{{ .Labels.instance }} {{ end }}{{ end }}');
    t = await startTestApp({ dir, config: config(`http://127.0.0.1:${(server.address() as AddressInfo).port}`) });
  });
  after(async () => {
    await t.close();
    server.close();
  });

  test("a title from a templates: file is rendered by the Go engine; a send-time error falls back to the default, recorded and counted", async () => {
    await t.post("/api/v2/alerts", [{ labels: { alertname: "Tmpl", instance: "i1" } }]);
    await until(() => received.length > 0);
    const attachment = received[0]!.attachments[0]!;
    assert.equal(attachment.title, "FIRING: Tmpl@i1 ");
    // `index .Alerts 1` fails with one alert: the text falls back to slack.default.text (empty).
    assert.equal(attachment.text, "");
    await until(() => {
      const db = new Database(join(dir, "alertprism.db"), { readonly: true });
      try {
        const row = db.prepare("SELECT status, error FROM deliveries ORDER BY id DESC LIMIT 1").get() as { status: string; error: string | null } | undefined;
        return row?.status === "success" && /template error, built-in default used: .*index out of range/.test(row.error ?? "");
      } finally {
        db.close();
      }
    });
    assert.match(await (await fetch(`${t.url}/metrics`)).text(), /alertprism_template_errors_total [1-9]/);
  });

  test("a broken template file fails the reload with its file and line, and the old config stays", async () => {
    writeFileSync(join(dir, "team.tmpl"), '{{ define "team.title" }}\n{{ .Status \n{{ end }}');
    const r = await t.post("/-/reload", undefined);
    assert.equal(r.status, 500);
    assert.match(r.text, /team\.tmpl:3: template: team\.tmpl:3: unexpected "\{" in operand/);
    writeFileSync(join(dir, "team.tmpl"), '{{ define "other" }}x{{ end }}');
    const r2 = await t.post("/-/reload", undefined);
    assert.equal(r2.status, 500, "team.title is no longer defined: rendering the title against sample data fails the load");
    assert.match(r2.text, /template "team.title" not defined/);
    assert.match(r2.text, /\(receivers\[0\]\.slack_configs\[0\]\.title\)/);
  });
});
