// fast-check arbitraries for one HTTP request to one endpoint: a valid payload mutated (fields dropped,
// replaced by wrong types, huge strings and arrays, deep nesting, duplicate and prototype keys, numbers
// beyond 2^53), raw bytes (invalid UTF-8, lone surrogate escapes, truncation), odd headers, odd query
// strings, odd path parameters, other methods, and bodies trickled or cut short.
import fc from "fast-check";
import { RAW_KEY, clone, containers, fromValue, raw, toText, type JNode } from "./json-tree.ts";

export type BodyKind = "none" | "json" | "form";

export interface Endpoint {
  /** "POST /api/v2/alerts", plus " (auth)" for the ops API with a token. */
  readonly name: string;
  readonly method: string;
  /** Express-style path under the server root, e.g. "/api/ops/v1/alerts/:fingerprint/ack". */
  readonly path: string;
  readonly body: BodyKind;
  /** Valid bodies as their clients send them (empty for body kind "none"). */
  readonly seeds: readonly unknown[];
  /** Query parameter names the endpoint reads, and valid values to mix in. */
  readonly query: Readonly<Record<string, readonly string[]>>;
  /** Valid values for each path parameter. */
  readonly params: Readonly<Record<string, readonly string[]>>;
  /** Headers every request carries (e.g. Authorization with a valid token). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

export type Delivery = "whole" | "trickle" | "truncate";

export interface FuzzCase {
  readonly method: string;
  /** Request target: path and query, already encoded (possibly badly, on purpose). */
  readonly target: string;
  /** Header values are latin1 strings: any byte can be sent. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer | undefined;
  readonly delivery: Delivery;
  /** What was done to the payload, for the failure report. */
  readonly label: string;
  /** Only the body is odd (valid method, path, no query, no extra headers): its own status is expected. */
  readonly onlyBodyOdd: boolean;
}

// ---- values -------------------------------------------------------------------------------------------

const FIXED_VALUES = [
  "null", "true", "false", "0", "-0", "1e400", "-1e400", "9007199254740993", "-9007199254740993", "1.7976931348623157e309",
  "1e-400", "123456789012345678901234567890", "0.1", "-1", "4294967296",
  `"NaN"`, `"Infinity"`, `"-0"`, `""`, `" "`, `"\\ud800"`, `"\\udc00x\\ud800"`, `"a\\u0000b"`, `"\\u202e"`,
  "[]", "{}", "[[]]", "[null]", `{"":""}`,
  `"2026-13-45T99:99:99Z"`, `"0001-01-01T00:00:00Z"`, `"0000-01-01T00:00:00Z"`, `"9999-12-31T23:59:59Z"`,
  `"-271821-04-20T00:00:00Z"`, `"+275760-09-13T00:00:00.000Z"`, `"2026-02-30T00:00:00Z"`, `"2026-01-01T00:00:00+99:99"`,
  `"2026-01-01T00:00:60Z"`, `"2026-01-01T00:00:00.1234567890Z"`, `"2026-01-01"`, `"1h"`, `"-1h"`, `"999999999999h"`,
  `"alertname=\\"x\\""`, `"{{"`, `"=~"`, `"(("`, `".*"`, `"a{1000000}"`, `"constructor"`, `"__proto__"`,
];

const jsonString = (s: string) => JSON.stringify(s);

/** A value in raw JSON text that the endpoint does not expect (or only just does). */
export function weirdValue(maxBytes: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...FIXED_VALUES) },
    { weight: 3, arbitrary: fc.string({ maxLength: 40, unit: "binary" }).map(jsonString) },
    { weight: 2, arbitrary: fc.string({ maxLength: 20, unit: "grapheme" }).map(jsonString) },
    { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })).map((n) => JSON.stringify(n)) },
    { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
    // Huge string: up to a little under the body limit.
    { weight: 1, arbitrary: fc.integer({ min: 10_000, max: Math.max(10_001, Math.floor(maxBytes * 0.7)) }).map((n) => `"${"x".repeat(n)}"`) },
    // Big array.
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 50_000 }).map((n) => `[${Array(n).fill("1").join(",")}]`) },
    // Deep nesting, to ~12k levels.
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 100, max: 12_000 }), fc.boolean()).map(([d, arr]) => deep(d, arr)) },
  );
}

/** Nested arrays or objects; the innermost value holds a lone surrogate escape (which the server rewrites). */
export function deep(depth: number, arrays: boolean): string {
  return arrays ? `${"[".repeat(depth)}"\\ud800"${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}"\\udc00"${"}".repeat(depth)}`;
}

const SPECIAL_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "", "alertname", "labels", "id",
  `${RAW_KEY}"\\ud800"`, `${RAW_KEY}"__proto\\u005f_"`, `${RAW_KEY}"\\u0000"`];

const keyArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...SPECIAL_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });

// ---- structural mutations ------------------------------------------------------------------------------

type Mutation =
  | { kind: "drop"; at: number; child: number }
  | { kind: "replace"; at: number; child: number; value: string }
  | { kind: "add"; at: number; key: string; value: string }
  | { kind: "dup"; at: number; child: number; value: string }
  | { kind: "wrap"; at: number; child: number; asArray: boolean }
  | { kind: "repeat"; at: number; times: number };

function mutationArb(maxBytes: number): fc.Arbitrary<Mutation> {
  const at = fc.nat(64);
  const child = fc.nat(64);
  return fc.oneof(
    fc.record({ kind: fc.constant("drop" as const), at, child }),
    fc.record({ kind: fc.constant("replace" as const), at, child, value: weirdValue(maxBytes) }),
    fc.record({ kind: fc.constant("replace" as const), at, child, value: weirdValue(maxBytes) }),
    fc.record({ kind: fc.constant("add" as const), at, key: keyArb, value: weirdValue(maxBytes) }),
    fc.record({ kind: fc.constant("dup" as const), at, child, value: weirdValue(maxBytes) }),
    fc.record({ kind: fc.constant("wrap" as const), at, child, asArray: fc.boolean() }),
    fc.record({ kind: fc.constant("repeat" as const), at, times: fc.integer({ min: 2, max: 2_000 }) }),
  );
}

function applyMutation(root: JNode, m: Mutation): JNode {
  const cs = containers(root);
  if (cs.length === 0) return raw(m.kind === "replace" || m.kind === "add" || m.kind === "dup" ? m.value : toText(root));
  const c = cs[m.at % cs.length]!;
  const n = c.t === "arr" ? c.items.length : c.entries.length;
  const i = n === 0 ? 0 : ("child" in m ? m.child : 0) % n;
  const setChild = (v: JNode) => {
    if (n === 0) return;
    if (c.t === "arr") c.items[i] = v;
    else c.entries[i] = [c.entries[i]![0], v];
  };
  const childNode = (): JNode | undefined => (n === 0 ? undefined : c.t === "arr" ? c.items[i] : c.entries[i]![1]);
  switch (m.kind) {
    case "drop":
      if (c.t === "arr") c.items.splice(i, 1);
      else c.entries.splice(i, 1);
      break;
    case "replace":
      setChild(raw(m.value));
      break;
    case "add":
      if (c.t === "arr") c.items.push(raw(m.value));
      else c.entries.push([m.key, raw(m.value)]);
      break;
    case "dup":
      if (c.t === "obj" && n > 0) c.entries.push([c.entries[i]![0], raw(m.value)]);
      else if (c.t === "arr") c.items.push(raw(m.value));
      break;
    case "wrap": {
      const x = childNode();
      if (x) setChild(m.asArray ? { t: "arr", items: [x] } : { t: "obj", entries: [["x", x]] });
      break;
    }
    case "repeat":
      if (c.t === "arr" && n > 0) {
        // Big arrays, but the whole text stays near the body limit (an item may hold megabytes already).
        const times = Math.max(1, Math.min(m.times, Math.floor(6_000_000 / toText(c).length)));
        c.items = Array.from({ length: times * n }, (_v, k) => clone(c.items[k % n]!));
      }
      break;
  }
  return root;
}

// ---- byte-level damage ---------------------------------------------------------------------------------

const BAD_BYTES = [[0xff], [0xc3], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x00], [0xfe, 0xff]];

type ByteDamage =
  | { kind: "insert"; quote: number; bytes: number }
  | { kind: "cut"; at: number }
  | { kind: "bom" }
  | { kind: "trailing"; text: string };

const byteDamageArb: fc.Arbitrary<ByteDamage> = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), quote: fc.nat(200), bytes: fc.nat(BAD_BYTES.length - 1) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat(10_000) }),
  fc.record({ kind: fc.constant("bom" as const) }),
  fc.record({ kind: fc.constant("trailing" as const), text: fc.constantFrom("}", "]", "\u0000", " {}", "\n\n", "x", ",") }),
);

function damage(buf: Buffer, d: ByteDamage): Buffer {
  switch (d.kind) {
    case "insert": {
      // Right after a quote, so the bad bytes usually land inside a string.
      const quotes: number[] = [];
      for (let i = 0; i < buf.length; i++) if (buf[i] === 0x22) quotes.push(i + 1);
      const at = quotes.length === 0 ? 0 : quotes[d.quote % quotes.length]!;
      return Buffer.concat([buf.subarray(0, at), Buffer.from(BAD_BYTES[d.bytes]!), buf.subarray(at)]);
    }
    case "cut":
      return buf.subarray(0, buf.length === 0 ? 0 : d.at % buf.length);
    case "bom":
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]);
    case "trailing":
      return Buffer.concat([buf, Buffer.from(d.text)]);
  }
}

// ---- bodies ------------------------------------------------------------------------------------------

interface Body { readonly bytes: Buffer | undefined; readonly label: string }

function jsonBodyArb(seeds: readonly unknown[], maxBytes: number): fc.Arbitrary<Body> {
  const seed = fc.nat(Math.max(0, seeds.length - 1)).map((i) => seeds[i]);
  const valid = seed.map((s): Body => ({ bytes: Buffer.from(JSON.stringify(s)), label: "valid" }));
  const mutated = fc.tuple(seed, fc.array(mutationArb(maxBytes), { minLength: 1, maxLength: 4 })).map(([s, ms]): Body => {
    let tree = fromValue(s);
    for (const m of ms) tree = applyMutation(tree, m);
    return { bytes: Buffer.from(toText(tree)), label: `mutated:${ms.map((m) => m.kind).join(",")}` };
  });
  const damaged = fc.tuple(seed, byteDamageArb).map(([s, d]): Body => ({ bytes: damage(Buffer.from(JSON.stringify(s)), d), label: `bytes:${d.kind}` }));
  const whole = weirdValue(maxBytes).map((v): Body => ({ bytes: Buffer.from(v), label: "other-value" }));
  const garbage = fc.uint8Array({ maxLength: 300 }).map((b): Body => ({ bytes: Buffer.from(b), label: "garbage" }));
  const deepDoc = fc.tuple(fc.integer({ min: 5_000, max: 12_000 }), fc.boolean()).map(([d, a]): Body => ({ bytes: Buffer.from(deep(d, a)), label: "deep" }));
  // Over the body limit: the server must answer 413.
  const tooLarge = fc.integer({ min: 1, max: 3 * 1024 * 1024 }).map((extra): Body => ({ bytes: Buffer.alloc(maxBytes + extra, 0x20), label: "over-limit" }));
  const empty = fc.constant<Body>({ bytes: undefined, label: "empty" });
  return fc.oneof(
    { weight: 6, arbitrary: valid },
    { weight: 14, arbitrary: mutated },
    { weight: 4, arbitrary: damaged },
    { weight: 2, arbitrary: whole },
    { weight: 1, arbitrary: garbage },
    { weight: 1, arbitrary: deepDoc },
    { weight: 1, arbitrary: empty },
    { weight: 1, arbitrary: fc.constant(null).chain(() => fc.oneof({ weight: 9, arbitrary: valid }, { weight: 1, arbitrary: tooLarge })) },
  );
}

function formBodyArb(): fc.Arbitrary<Body> {
  return fc.oneof(
    fc.string({ maxLength: 200 }).map((c): Body => ({ bytes: Buffer.from(`comment=${encodeURIComponent(c)}`), label: "form" })),
    fc.uint8Array({ maxLength: 300 }).map((b): Body => ({ bytes: Buffer.from(b), label: "garbage" })),
    fc.constant<Body>({ bytes: Buffer.from("comment=%zz&comment=%ED%A0%80&__proto__=1"), label: "form-bad-escapes" }),
    fc.constant<Body>({ bytes: undefined, label: "empty" }),
  );
}

function bodyArb(ep: Endpoint, maxBytes: number): fc.Arbitrary<Body> {
  if (ep.body === "json") return jsonBodyArb(ep.seeds, maxBytes);
  if (ep.body === "form") return formBodyArb();
  // Endpoints without a body still get one now and then.
  return fc.oneof(
    { weight: 9, arbitrary: fc.constant<Body>({ bytes: undefined, label: "no-body" }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b): Body => ({ bytes: Buffer.from(b), label: "unexpected-body" })) },
  );
}

// ---- target: path and query --------------------------------------------------------------------------

const ODD_SEGMENTS = ["%zz", "%", "%00", "..", "%2e%2e", "a%2Fb", "%ED%A0%80", "%C0%AF", "%FF", "__proto__", "constructor", "%20", "x".repeat(5000),
  "00000000-0000-0000-0000-000000000000", "ffffffffffffffff", "0123456789ABCDEF", "-1", "1e400", "%F0%9F%92%A9"];

function segmentArb(valid: readonly string[]): fc.Arbitrary<{ text: string; odd: boolean }> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...(valid.length > 0 ? valid : ["x"])).map((v) => ({ text: encodeURIComponent(v), odd: valid.length === 0 })) },
    { weight: 3, arbitrary: fc.constantFrom(...ODD_SEGMENTS).map((text) => ({ text, odd: true })) },
    { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 40, unit: "grapheme" }).map((v) => ({ text: encodeURIComponent(v), odd: true })) },
  );
}

const GENERIC_KEYS = ["filter", "active", "silenced", "inhibited", "receiver", "limit", "cursor", "since", "until", "__proto__", "constructor",
  "hasOwnProperty", "toString", "a[]", "a[b]", "a[__proto__][x]", "", "v"];

const ODD_VALUES = ["", "true", "false", "maybe", "-1", "0", "1e400", "9007199254740993", "99999999999", "NaN", "-24h", "-0s", "-99999999999d",
  "2026-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", 'alertname="x"', 'alertname=~"(("', "{}", "{", "a=", "=b", ".*",
  "eyJ9", "e30", "bnVsbA", "W10", "x".repeat(3000)];

function queryPairArb(known: Readonly<Record<string, readonly string[]>>): fc.Arbitrary<string> {
  const names = Object.keys(known);
  const key = fc.oneof(
    { weight: names.length > 0 ? 5 : 0, arbitrary: fc.constantFrom(...(names.length > 0 ? names : ["x"])) },
    { weight: 2, arbitrary: fc.constantFrom(...GENERIC_KEYS) },
  );
  return key.chain((k) => {
    const valid = Object.hasOwn(known, k) ? known[k]! : [];
    const value = fc.oneof(
      { weight: valid.length > 0 ? 4 : 0, arbitrary: fc.constantFrom(...(valid.length > 0 ? valid : [""])) },
      { weight: 3, arbitrary: fc.constantFrom(...ODD_VALUES) },
      { weight: 2, arbitrary: fc.string({ maxLength: 30, unit: "grapheme" }) },
    );
    return fc.tuple(value, fc.nat(9)).map(([v, style]) => {
      if (style === 0) return `${k}=${v}`.replace(/[#\s]/g, "+"); // unencoded, as a careless client would
      if (style === 1) return `${encodeURIComponent(k)}=%zz${encodeURIComponent(v)}%`;
      if (style === 2) return encodeURIComponent(k);
      if (style === 3) return `${encodeURIComponent(k)}=${encodeURIComponent(v)};x=1`;
      return `${encodeURIComponent(k)}=${encodeURIComponent(v)}`;
    });
  });
}

function targetArb(ep: Endpoint): fc.Arbitrary<{ target: string; label: string; odd: boolean }> {
  const names = [...ep.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
  const segs = fc.tuple(...names.map((n) => segmentArb(ep.params[n] ?? [])));
  const query = fc.oneof(
    { weight: 4, arbitrary: fc.constant("") },
    { weight: 5, arbitrary: fc.array(queryPairArb(ep.query), { minLength: 1, maxLength: 6 }).map((ps) => `?${ps.join("&")}`) },
    { weight: 1, arbitrary: fc.constantFrom("?", "?&&&", "?=", "?%", "?a=%zz", `?${"a=1&".repeat(2000)}`, `?q=${"x".repeat(20_000)}`) },
  );
  const tail = fc.constantFrom("", "", "", "", "", "", "/", "//");
  return fc.tuple(segs, query, tail).map(([values, q, t]) => {
    let k = 0;
    const path = ep.path.replace(/:([A-Za-z_]+)/g, () => values[k++]!.text);
    return { target: `${path}${t}${q}`, label: q.length > 200 ? "long-query" : "", odd: q !== "" || t !== "" || values.some((v) => v.odd) };
  });
}

// ---- headers ---------------------------------------------------------------------------------------

const CONTENT_TYPES = ["application/json", "application/json", "application/json; charset=utf-8", "application/json; charset=latin1",
  "APPLICATION/JSON", "application/json;;;", "application/jsonx", "text/plain", "", "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x", "application/json, text/plain", "\u00ff\u00fe", "*/*", "application/*"];

type HeaderChoice = ReadonlyArray<readonly [string, string]>;

const EXTRA_HEADERS: fc.Arbitrary<HeaderChoice> = fc.constantFrom<HeaderChoice>(
  [["content-encoding", "gzip"]],
  [["content-encoding", "deflate"]],
  [["content-encoding", "br"]],
  [["content-encoding", "compress"]],
  [["content-encoding", "gzip, identity"]],
  [["content-encoding", "identity"]],
  [["x-request-id", "\u00ff".repeat(300)]],
  [["x-request-id", "a"], ["x-request-id", "b"]],
  [["authorization", "Bearer"]],
  [["authorization", "Basic !!!"]],
  [["authorization", `Bearer ${"a".repeat(4000)}`]],
  [["accept", "*/*;q=-1"]],
  [["accept-encoding", "gzip;q=x"]],
  [["origin", "null"]],
  [["x-forwarded-for", "1.2.3.4, ::1, garbage"]],
  [["x-huge", "h".repeat(20_000)]],
  [["content-type", "text/plain"], ["content-type", "application/json"]],
  [["expect", "100-continue"]],
  [["if-none-match", "*"]],
  [["range", "bytes=0-1"]],
);

function headersArb(ep: Endpoint, hasBody: boolean): fc.Arbitrary<{ headers: HeaderChoice; odd: boolean }> {
  const ct = hasBody
    ? fc.oneof({ weight: 7, arbitrary: fc.constant(ep.body === "form" ? "application/x-www-form-urlencoded" : "application/json") },
      { weight: 3, arbitrary: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }) })
    : fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined, freq: 1 });
  const extra = fc.oneof({ weight: 8, arbitrary: fc.constant<HeaderChoice>([]) }, { weight: 2, arbitrary: EXTRA_HEADERS });
  return fc.tuple(ct, extra).map(([c, e]) => ({ headers: [...ep.headers, ...(c === undefined ? [] : [["content-type", c] as const]), ...e], odd: e.length > 0 }));
}

// ---- the case ------------------------------------------------------------------------------------

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO", "get", "TRACE"];

export function caseArb(ep: Endpoint, maxBytes: number): fc.Arbitrary<FuzzCase> {
  const method = fc.oneof({ weight: 9, arbitrary: fc.constant(ep.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) });
  const delivery = fc.oneof(
    { weight: 18, arbitrary: fc.constant<Delivery>("whole") },
    { weight: 1, arbitrary: fc.constant<Delivery>("trickle") },
    { weight: 1, arbitrary: fc.constant<Delivery>("truncate") },
  );
  return fc.tuple(method, targetArb(ep), bodyArb(ep, maxBytes), delivery).chain(([m, t, b, d]) =>
    headersArb(ep, b.bytes !== undefined).map((h): FuzzCase => ({
      method: m,
      target: t.target,
      headers: h.headers,
      onlyBodyOdd: m === ep.method && !t.odd && !h.odd,
      body: b.bytes,
      delivery: b.bytes === undefined || b.bytes.length === 0 ? "whole" : d,
      label: [b.label, t.label, d === "whole" ? "" : d].filter((x) => x !== "").join(" "),
    })));
}
