/**
 * Domain errors. Services throw these; the HTTP layer alone maps them to status codes and body shapes.
 */

/** Invalid configuration; `where` names file, path and line when known. */
export class ConfigError extends Error {
  constructor(message: string, readonly where?: string) {
    super(where ? `${where}: ${message}` : message);
    this.name = "ConfigError";
  }
}

/** Input that Alertmanager rejects from its handlers with 400 and a bare JSON string. */
export class ValidationError extends Error {
  override name = "ValidationError";
}

/** A write refused by one of alertprism.yml's `limits:` (400 like other refused input); `limit` names it. */
export class LimitError extends ValidationError {
  override name = "LimitError";
  constructor(readonly limit: string, message: string) {
    super(message);
  }
}

/** A referenced object does not exist (status chosen by the endpoint: AM uses 404 or 500). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/** Storage could not commit; the request must not be acknowledged. */
export class StorageError extends Error {
  override name = "StorageError";

  /** `code`: SQLite's result code (e.g. "SQLITE_FULL") when SQLite reported the failure. */
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
