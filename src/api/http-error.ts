/**
 * Alertmanager answers errors in two shapes: framework errors (parsing, schema validation, routing) as
 * `{"code":N,"message":"..."}`, and handler errors as a bare JSON string. ApiError carries either.
 */
export class ApiError extends Error {
  private constructor(readonly status: number, readonly body: unknown, message: string) {
    super(message);
    this.name = "ApiError";
  }

  /** `{"code":code,"message":message}` with the given HTTP status (code defaults to the status). */
  static framework(status: number, message: string, code = status): ApiError {
    return new ApiError(status, { code, message }, message);
  }

  /** A bare JSON string body. */
  static handler(status: number, message: string): ApiError {
    return new ApiError(status, message, message);
  }

  /** No body at all (Alertmanager's 404 for an unknown silence id). */
  static empty(status: number): ApiError {
    return new ApiError(status, undefined, `status ${status}`);
  }
}

/** go-swagger validation codes. */
export const SWAGGER = { required: 602, format: 601, minItems: 612 } as const;
