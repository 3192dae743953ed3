/**
 * One HTTP request with Node's own client, for the outgoing calls (notification channels, Prometheus
 * queries): redirects followed as Go's http.Client follows them, an optional forward proxy (CONNECT tunnel
 * for https:// targets), gzip/deflate/br bodies decoded, the body size bounded, abort and timeout.
 * Failures reject with Node's own error (its `code` intact) or an HttpRequestError; callers classify them.
 */
import http from "node:http";
import https from "node:https";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import type { Duplex } from "node:stream";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";

export interface HttpRequestOptions {
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  readonly signal?: AbortSignal;
  /** Ends the whole exchange (connect to last byte) with code ETIMEDOUT. */
  readonly timeoutMs?: number;
  /** Connection pools per scheme; the receiver firewall guards them. Node's global agents otherwise. */
  readonly agents?: { readonly http?: http.Agent; readonly https?: https.Agent };
  /** TLS options for the origin when it is reached through a proxy tunnel (the agent holds them otherwise). */
  readonly tls?: ConnectionOptions;
  /** Redirects to follow; 0 returns the 3xx response itself. */
  readonly maxRedirects: number;
  readonly maxResponseBytes: number;
  /** http(s)://[user:password@]host:port of a forward proxy. */
  readonly proxy?: URL;
}

export interface HttpResult {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A failure of this module's own (not a socket error): `code` says which. */
export class HttpRequestError extends Error {
  constructor(readonly code: "ERR_TOO_MANY_REDIRECTS" | "ERR_BAD_REDIRECT" | "ERR_RESPONSE_TOO_LARGE" | "ETIMEDOUT" | "ERR_PROXY_CONNECT", message: string) {
    super(message);
    this.name = "HttpRequestError";
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that do not follow a redirect to another host (or from https to http), as in Go's client. */
const SENSITIVE = new Set(["authorization", "cookie", "www-authenticate"]);

export async function httpRequest(target: URL | string, opts: HttpRequestOptions): Promise<HttpResult> {
  let url = new URL(target);
  let method = opts.method;
  let body = opts.body;
  let headers: Record<string, string> = { ...opts.headers };
  const deadline = timeoutSignal(opts.timeoutMs);
  try {
    for (let redirects = 0; ; redirects++) {
      const res = await exchange(url, method, headers, body, opts, deadline?.signal);
      const location = res.headers.location;
      if (!REDIRECTS.has(res.status) || location === undefined || opts.maxRedirects === 0) return res;
      if (redirects >= opts.maxRedirects) throw new HttpRequestError("ERR_TOO_MANY_REDIRECTS", `stopped after ${opts.maxRedirects} redirects`);
      const next = new URL(location, url);
      if (next.protocol !== "http:" && next.protocol !== "https:") throw new HttpRequestError("ERR_BAD_REDIRECT", `redirect to unsupported scheme ${next.protocol}`);
      // 301/302/303 turn a POST into a GET without body; 307/308 repeat the request as it was.
      if (res.status !== 307 && res.status !== 308 && method !== "GET") {
        method = "GET";
        body = undefined;
        headers = withoutHeaders(headers, ["content-type", "content-length"]);
      }
      if (!sameOrSubdomain(next.hostname, url.hostname) || (url.protocol === "https:" && next.protocol === "http:")) {
        headers = withoutHeaders(headers, [...SENSITIVE]);
      }
      url = next;
    }
  } finally {
    deadline?.clear();
  }
}

function withoutHeaders(headers: Record<string, string>, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (!names.includes(k.toLowerCase())) out[k] = v;
  return out;
}

function sameOrSubdomain(next: string, current: string): boolean {
  return next === current || next.endsWith(`.${current}`);
}

function timeoutSignal(ms: number | undefined): { signal: AbortSignal; clear(): void } | undefined {
  if (ms === undefined) return undefined;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new HttpRequestError("ETIMEDOUT", `timed out after ${ms} ms`)), ms);
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/** One request and its whole response; rejects on the first of: socket error, abort, timeout, size. */
function exchange(url: URL, method: string, headers: Record<string, string>, body: string | Buffer | undefined, opts: HttpRequestOptions, timeout: AbortSignal | undefined): Promise<HttpResult> {
  return new Promise<HttpResult>((resolve, reject) => {
    let req: http.ClientRequest | undefined;
    let res: http.IncomingMessage | undefined;
    let settled = false;
    const signals = [opts.signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    const finish = (err: Error | undefined, result?: HttpResult): void => {
      if (settled) return;
      settled = true;
      for (const s of signals) s.removeEventListener("abort", onAbort);
      if (err) {
        req?.destroy();
        res?.destroy();
        reject(err);
      } else {
        resolve(result!);
      }
    };
    const onAbort = (): void => {
      const reason: unknown = signals.find((s) => s.aborted)?.reason;
      finish(reason instanceof HttpRequestError ? reason : abortError());
    };
    for (const s of signals) {
      if (s.aborted) return onAbort();
      s.addEventListener("abort", onAbort, { once: true });
    }

    const outgoing: Record<string, string> = { "Accept-Encoding": "gzip, deflate, br", ...headers };
    if (body !== undefined) outgoing["Content-Length"] = String(Buffer.byteLength(body));
    const onResponse = (r: http.IncomingMessage): void => {
      res = r;
      readBody(r, opts.maxResponseBytes).then(
        (text) => finish(undefined, { status: r.statusCode ?? 0, headers: flatHeaders(r.headers), body: text }),
        (err: Error) => finish(err),
      );
    };
    const send = (options: http.RequestOptions, secure: boolean): void => {
      req = (secure ? https.request : http.request)(options, onResponse);
      req.on("error", (err) => finish(err));
      req.end(body);
    };

    const secure = url.protocol === "https:";
    const origin = { method, headers: outgoing, host: url.hostname.replace(/^\[|\]$/g, ""), port: url.port || (secure ? 443 : 80), path: url.pathname + url.search };
    if (!opts.proxy) {
      const agent = secure ? opts.agents?.https : opts.agents?.http;
      send({ ...origin, ...(agent ? { agent } : {}) }, secure);
    } else if (!secure) {
      // Forward proxy: the request line carries the absolute URL.
      const proxyAuth = proxyAuthorization(opts.proxy);
      const agent = opts.proxy.protocol === "https:" ? opts.agents?.https : opts.agents?.http;
      send({
        method, path: url.href, host: opts.proxy.hostname.replace(/^\[|\]$/g, ""), port: opts.proxy.port || (opts.proxy.protocol === "https:" ? 443 : 80),
        headers: { ...outgoing, Host: url.host, ...(proxyAuth ? { "Proxy-Authorization": proxyAuth } : {}) },
        ...(agent ? { agent } : {}),
      }, opts.proxy.protocol === "https:");
    } else {
      // https:// through a proxy: a CONNECT tunnel, so TLS stays end to end and the proxy sees only host:port.
      tunnel(url, opts, signals).then((socket) => {
        if (settled) {
          socket.destroy();
          return;
        }
        // No agent: Node then takes the socket from createConnection (an agent would open its own).
        send({ ...origin, createConnection: () => socket }, false);
      }, (err: Error) => finish(err));
    }
  });
}

function abortError(): Error {
  return Object.assign(new Error("The operation was aborted"), { name: "AbortError", code: "ABORT_ERR" });
}

function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === "") return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString("base64")}`;
}

/** A TLS socket to `url`'s origin through the proxy's CONNECT; the proxy connection uses the (guarded) agents. */
function tunnel(url: URL, opts: HttpRequestOptions, signals: readonly AbortSignal[]): Promise<Duplex> {
  const proxy = opts.proxy!;
  const proxySecure = proxy.protocol === "https:";
  const authority = `${url.hostname}:${url.port || 443}`;
  const proxyAuth = proxyAuthorization(proxy);
  const agent = proxySecure ? opts.agents?.https : opts.agents?.http;
  return new Promise<Duplex>((resolve, reject) => {
    const connect = (proxySecure ? https.request : http.request)({
      method: "CONNECT", path: authority, host: proxy.hostname.replace(/^\[|\]$/g, ""), port: proxy.port || (proxySecure ? 443 : 80),
      headers: { Host: authority, ...(proxyAuth ? { "Proxy-Authorization": proxyAuth } : {}) },
      ...(agent ? { agent } : {}),
    });
    // The caller has rejected already; this only frees the proxy connection.
    const cancel = (): void => {
      connect.destroy();
      reject(abortError());
    };
    for (const s of signals) s.addEventListener("abort", cancel, { once: true });
    const settle = (): void => {
      for (const s of signals) s.removeEventListener("abort", cancel);
    };
    connect.on("connect", (res: http.IncomingMessage, socket: Duplex) => {
      settle();
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new HttpRequestError("ERR_PROXY_CONNECT", `proxy refused CONNECT with status ${res.statusCode ?? 0}`));
        return;
      }
      const host = url.hostname.replace(/^\[|\]$/g, "");
      const tls = tlsConnect({ ...opts.tls, socket, servername: opts.tls?.servername ?? host, ALPNProtocols: ["http/1.1"] });
      tls.once("secureConnect", () => resolve(tls));
      tls.once("error", reject);
    });
    connect.on("error", (err) => {
      settle();
      reject(err);
    });
    connect.end();
  });
}

/** The body as UTF-8 text (a BOM dropped), decompressed, at most `max` bytes after decoding. */
function readBody(res: http.IncomingMessage, max: number): Promise<string> {
  const encoding = String(res.headers["content-encoding"] ?? "").trim().toLowerCase();
  const decoder = encoding === "gzip" || encoding === "x-gzip" ? createGunzip() : encoding === "deflate" ? createInflate() : encoding === "br" ? createBrotliDecompress() : undefined;
  const stream: NodeJS.ReadableStream = decoder ? res.pipe(decoder) : res;
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new HttpRequestError("ERR_RESPONSE_TOO_LARGE", `response body larger than ${max} bytes`));
        decoder?.destroy();
        res.destroy();
        return;
      }
      chunks.push(chunk);
    });
    stream.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    });
    stream.on("error", reject);
    // A connection cut mid-body does not always end in 'error'; then the response closes incomplete.
    res.on("close", () => {
      if (!res.complete) reject(Object.assign(new Error("connection closed before the response was complete"), { code: "ECONNRESET" }));
    });
  });
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}
