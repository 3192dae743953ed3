/**
 * Transport failures that another attempt within the same flush cannot fix: the peer's certificate is not
 * trusted (self-signed, expired, wrong name), the TLS handshake fails outright (https:// to a plain-HTTP
 * port), or redirects loop. Retrying them only repeats the handshake or the redirect chain until the
 * deadline; the next flush tries again anyway, so a fixed certificate or URL is picked up then.
 * Connection refused, DNS failures, resets and timeouts stay retryable: those recover on their own.
 */
const PERMANENT_CODES: ReadonlySet<string> = new Set([
  "EPROTO", // handshake failed: not TLS on the other end, or no common protocol version
  "ERR_TOO_MANY_REDIRECTS", // lib/http-request.ts gave up on a redirect loop
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "HOSTNAME_MISMATCH",
]);

/** True for an error code (Node's `err.code`, or lib/http-request.ts's own) that retrying within a flush cannot fix. */
export function isPermanentTransportCode(code: string | undefined): boolean {
  return code !== undefined && (PERMANENT_CODES.has(code) || code.startsWith("ERR_SSL_"));
}
