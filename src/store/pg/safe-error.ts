import { errorMessage } from "../../lib/errors.ts";
import { redactUrls } from "../../lib/redact.ts";

/**
 * An error's message fit for logs and other errors: a connection URL's userinfo (the database password)
 * is cut out wherever the driver or a caller put it.
 */
export function safeErrorMessage(err: unknown): string {
  return redactUrls(errorMessage(err));
}
