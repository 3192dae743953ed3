// @ts-check
// Calls to the ops API and the Alertmanager API, relative to the page (so a reverse proxy that mounts
// AlertPrism under another path works), with the session's bearer token.

const TOKEN_KEY = "alertprism.token";

/** The directory above /ui/: where AlertPrism's APIs are, whatever the proxy path. */
const base = new URL("../", window.location.href);

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

/** @param {string} value */
export function setToken(value) {
  if (value.trim() === "") sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, value.trim());
}

/**
 * @param {string} method
 * @param {string} path under AlertPrism's root, e.g. "api/ops/v1/stats"
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function call(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  const t = token();
  if (t !== "") headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(new URL(path, base), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  /** @type {any} */
  let json;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const message = typeof json === "string" ? json : json?.message ?? (text || res.statusText);
    throw new ApiError(res.status, message);
  }
  return json;
}

/** @param {string} path under /api/ops/v1 @param {Record<string, string | number | undefined>} [query] */
export function ops(path, query) {
  return call("GET", `api/ops/v1${path}${queryString(query)}`);
}

/** @param {string} path under /api/v2 @param {Record<string, string | number | undefined>} [query] */
export function am(path, query) {
  return call("GET", `api/v2${path}${queryString(query)}`);
}

/** @param {Record<string, string | number | undefined>} [query] */
export function queryString(query) {
  if (!query) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== "") p.append(k, String(v));
  const s = p.toString();
  return s === "" ? "" : `?${s}`;
}
