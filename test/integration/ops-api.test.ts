import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestApp, type TestApp } from "./app-fixture.ts";
import { OpenApiValidator } from "./ops-openapi.ts";

describe("ops API basics", () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(async () => t.close());

  test("the OpenAPI 3.1 document is served and describes itself", async () => {
    const r = await t.get("/api/ops/v1/openapi.json");
    assert.equal(r.status, 200);
    const doc = r.json as { openapi: string; paths: Record<string, unknown> };
    assert.equal(doc.openapi, "3.1.0");
    new OpenApiValidator(doc as never).assertDocumented("GET", "/openapi.json", 200, doc);
  });

  test("an unknown ops route is a documented 404 error", async () => {
    const r = await t.get("/api/ops/v1/nope");
    assert.equal(r.status, 404);
    assert.deepEqual(r.json, { code: 404, message: "no ops API route GET /nope" });
  });
});
