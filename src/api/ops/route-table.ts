/**
 * The ops API as one table: every route declares its method, path, role and OpenAPI operation next to its
 * handler, so the router, the authorisation check and the OpenAPI document are all made from it, and a
 * route without a role cannot exist.
 */

/** Ordered: each role may do everything the roles before it may (defined in src/auth, one list for both). */
import type { Role } from "../../auth/roles.ts";
export { ROLES, roleAllows, type Role } from "../../auth/roles.ts";

/** Who is asking: from a verified token, or the loopback policy when no `auth:` is configured. */
export interface Principal {
  readonly subject: string;
  readonly role: Role;
}

/** A request as handlers see it: parsed and size-checked, with the caller known. */
export interface OpsRequest {
  readonly params: Readonly<Record<string, string>>;
  /** Every query parameter with all its values, in order. */
  readonly query: Readonly<Record<string, readonly string[]>>;
  /** The parsed JSON body (undefined without one). */
  readonly body: unknown;
  readonly principal: Principal;
  /** The request id (X-Request-Id). */
  readonly requestId: string;
}

export type OpsResponse =
  | { readonly status: number; readonly json: unknown }
  | { readonly status: number; readonly html: string }
  | { readonly status: 204 };

/** An OpenAPI 3.1 operation object, minus what the table supplies (operationId, summary, security). */
export type OperationSpec = Readonly<Record<string, unknown>>;

export interface OpsRoute {
  readonly method: "GET" | "POST" | "DELETE";
  /** Express-style path under /api/ops/v1, e.g. "/alerts/:fingerprint/ack". */
  readonly path: string;
  readonly role: Role;
  readonly operationId: string;
  readonly summary: string;
  readonly spec: OperationSpec;
  handler(req: OpsRequest): OpsResponse | Promise<OpsResponse>;
}

/** A client error of the ops API: status 4xx and a message that says what to fix. */
export class OpsError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "OpsError";
  }
}

/** The error body every ops API error has (documented once in the OpenAPI components). */
export interface ErrorBody {
  readonly code: number;
  readonly message: string;
}
