import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRuntimeConfig } from "../../src/runtime-config.ts";
import { silentLogger } from "../../src/lib/log.ts";

test("a broken template file is named by its own path when another file has the same base name", () => {
  const dir = mkdtempSync(join(tmpdir(), "alertprism-tmpl-load-"));
  try {
    for (const d of ["a", "b"]) mkdirSync(join(dir, d));
    writeFileSync(join(dir, "a", "team.tmpl"), '{{ define "ok" }}fine{{ end }}');
    writeFileSync(join(dir, "b", "team.tmpl"), '{{ define "broken" }}\n{{ .Status \n{{ end }}');
    const configFile = join(dir, "alertmanager.yml");
    writeFileSync(configFile, "templates: ['a/*.tmpl', 'b/*.tmpl']\nroute: {receiver: r}\nreceivers: [{name: r}]\n");
    assert.throws(() => loadRuntimeConfig({ configFile, alertprismFile: undefined }, silentLogger()), (err: Error) => {
      assert.match(err.message, new RegExp(`^${join(dir, "b", "team.tmpl").replace(/[.\\/]/g, "\\$&")}:3: template: team\\.tmpl:3:`));
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
