/**
 * Redaction of URLs inside free text (error reasons shown by /health): tokens live in a URL's userinfo,
 * path and query (Slack, DingTalk, webhook paths), never in its scheme and host, so only those stay.
 * Error reasons are already redacted where they are made; this is the second line for output that
 * collects them.
 */

const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>]+)([^\s"'<>]*)/gi;

/** Every `scheme://[userinfo@]host[:port]/path?query` in `text` → `scheme://host[:port]/<redacted>` (no path: kept as it is). */
export function redactUrls(text: string): string {
  return text.replace(URL_IN_TEXT, (_m, scheme: string, authority: string, rest: string) => {
    const host = authority.slice(authority.lastIndexOf("@") + 1);
    if (/^\/*$/.test(rest)) return `${scheme}${host}${rest}`;
    // Keep the punctuation a sentence puts after a URL ("…/path: reason", "(…/path)").
    const trailing = /[:,;.)\]]+$/.exec(rest)?.[0] ?? "";
    return `${scheme}${host}/<redacted>${trailing}`;
  });
}
