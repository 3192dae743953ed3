import type { OpsRoute } from "./route-table.ts";

/** A part of the ops API: its routes and the JSON Schemas (OpenAPI components) their responses use. */
export interface OpsModule {
  readonly routes: readonly OpsRoute[];
  readonly schemas?: Readonly<Record<string, unknown>>;
}

const ERROR_SCHEMA = {
  type: "object",
  required: ["code", "message"],
  additionalProperties: false,
  properties: { code: { type: "integer" }, message: { type: "string" } },
};

/** Express "/alerts/:fingerprint" → OpenAPI "/alerts/{fingerprint}". */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
}

/**
 * The OpenAPI 3.1 document of the ops API, made from the route table (so it cannot drift from the code):
 * each operation carries its role (`x-role`), and every operation may answer the shared error body.
 */
export function openApiDocument(modules: readonly OpsModule[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = { Error: ERROR_SCHEMA };
  for (const m of modules) {
    Object.assign(schemas, m.schemas ?? {});
    for (const r of m.routes) {
      const item = (paths[openApiPath(r.path)] ??= {});
      const responses = { ...((r.spec.responses as Record<string, unknown> | undefined) ?? {}) };
      responses["4XX"] ??= { description: "a client error: bad input, no or bad credentials (401), too low a role (403), unknown object (404)", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
      item[r.method.toLowerCase()] = { operationId: r.operationId, summary: r.summary, "x-role": r.role, security: [{ bearer: [] }], ...r.spec, responses };
    }
  }
  return {
    openapi: "3.1.0",
    info: { title: "AlertPrism ops API", version, description: "History, timelines, explanations, statistics, acknowledgements and audit, under <route-prefix>/api/ops/v1." },
    servers: [{ url: "/api/ops/v1" }],
    paths,
    components: {
      schemas,
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    },
  };
}

/** The route serving the document itself. */
export function openApiModule(document: () => Record<string, unknown>): OpsModule {
  return {
    routes: [{
      method: "GET",
      path: "/openapi.json",
      role: "viewer",
      operationId: "getOpenApi",
      summary: "This document",
      spec: { responses: { 200: { description: "the OpenAPI 3.1 document", content: { "application/json": { schema: { type: "object" } } } } } },
      handler: () => ({ status: 200, json: document() }),
    }],
  };
}
