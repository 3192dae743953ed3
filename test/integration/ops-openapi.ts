// Validates ops API responses against the OpenAPI document the server itself serves, so the document
// cannot drift from the code: every test of an ops endpoint checks its response with assertDocumented.
import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import { openApiPath } from "../../src/api/ops/openapi.ts";

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> };

export class OpenApiValidator {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });

  constructor(private readonly doc: Doc) {
    this.ajv.addSchema(doc as object, "openapi.json");
  }

  /**
   * Asserts that `status` is a documented response of `method path` (path as in the route table, e.g.
   * "/alerts/:fingerprint") and that a JSON body matches its schema.
   */
  assertDocumented(method: string, path: string, status: number, body: unknown): void {
    const p = openApiPath(path);
    const op = this.doc.paths[p]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${p} is not in the OpenAPI document`);
    const key = String(status) in op.responses ? String(status) : `${String(status)[0]}XX`;
    const response = op.responses[key];
    assert.ok(response, `${method} ${p} does not document status ${status}`);
    const schema = response.content?.["application/json"]?.schema;
    if (schema === undefined) return;
    const pointer = `openapi.json#/paths/${p.replace(/~/g, "~0").replace(/\//g, "~1")}/${method.toLowerCase()}/responses/${key}/content/application~1json/schema`;
    const validate = this.ajv.getSchema(pointer);
    assert.ok(validate, `no schema at ${pointer}`);
    const ok = validate(body);
    assert.ok(ok, `${method} ${p} ${status}: the body does not match the document: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 2000)}`);
  }
}
