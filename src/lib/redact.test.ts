import { test } from "node:test";
import assert from "node:assert/strict";
import { redactUrls } from "./redact.ts";

test("redactUrls keeps scheme and host, drops userinfo, path and query", () => {
  const cases: Array<[string, string]> = [
    ["POST https://hooks.slack.com/services/T000/B000/XXXXSECRET: HTTP 500", "POST https://hooks.slack.com/<redacted>: HTTP 500"],
    ["http://user:pa55word@prom:9090/api/v1/query?x=1 refused", "http://prom:9090/<redacted> refused"],
    ["http://127.0.0.1:9090: connect ECONNREFUSED 127.0.0.1:9090", "http://127.0.0.1:9090: connect ECONNREFUSED 127.0.0.1:9090"],
    ["POST http://h:1/<redacted>: timeout", "POST http://h:1/<redacted>: timeout"],
    ["two: http://a/tok3n1 and (https://b/x?access_token=abcdef)", "two: http://a/<redacted> and (https://b/<redacted>)"],
    ["no url here: database or disk is full", "no url here: database or disk is full"],
    ["http://h/", "http://h/"],
  ];
  for (const [input, want] of cases) assert.equal(redactUrls(input), want, input);
});
