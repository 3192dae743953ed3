/**
 * CIDR matching for IPv4 and IPv6 (IPv4-mapped IPv6 addresses count as their IPv4 address), and the
 * client address of a request behind trusted proxies. Pure: addresses in, answers out.
 */
import { isIP } from "node:net";

export interface Cidr {
  /** 4 or 16 bytes. */
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** As configured, for messages. */
  readonly text: string;
}

/** Bytes of an IP address (IPv4-mapped IPv6 as 4 bytes), or undefined when it is none. */
export function parseIp(text: string): Uint8Array | undefined {
  let s = text.trim();
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  const kind = isIP(s);
  if (kind === 4) return new Uint8Array(s.split(".").map(Number));
  if (kind !== 6) return undefined;
  const bytes = parseIpv6(s);
  if (bytes === undefined) return undefined;
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

function parseIpv6(s: string): Uint8Array | undefined {
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1]!.split(".").map(Number);
    s = s.slice(0, -v4[1]!.length) + `${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const part = (h: string) => (h === "" ? [] : h.split(":"));
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  return out;
}

/** "10.0.0.0/8", "fd00::/8", "::ffff:10.0.0.0/104" or a bare address (a /32 or /128). Throws on bad input. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const raw = addr.trim();
  const bytes = parseIp(raw);
  if (bytes === undefined) throw new Error(`${JSON.stringify(text)} is not an IP address or CIDR range`);
  // A mapped IPv6 range (::ffff:a.b.c.d/n) is the IPv4 range /(n-96).
  const wasMapped = bytes.length === 4 && isIP(raw.replace(/^\[|\]$/g, "")) === 6;
  const max = wasMapped ? 128 : bytes.length * 8;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new Error(`${JSON.stringify(text)}: the prefix length must be from 0 to ${max}`);
    prefix = Number(p);
  }
  if (wasMapped) {
    if (prefix < 96) throw new Error(`${JSON.stringify(text)}: an IPv4-mapped range needs a prefix of at least 96`);
    prefix -= 96;
  }
  return { bytes: mask(bytes, prefix), prefix, text };
}

function mask(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] = bytes[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Whether the address (text) lies in the range; an unparsable address lies in none. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const ip = parseIp(address);
  if (ip === undefined || ip.length !== cidr.bytes.length) return false;
  const m = mask(ip, cidr.prefix);
  return m.every((b, i) => b === cidr.bytes[i]);
}

export function inAny(cidrs: readonly Cidr[], address: string): boolean {
  return cidrs.some((c) => cidrContains(c, address));
}

/**
 * The client's address: the socket peer, unless the peer is a trusted proxy; then the right-most address
 * of X-Forwarded-For that is not a trusted proxy (or the left-most when all are). An entry that is no
 * address is returned as it is, so it matches no range. Only the first 64 entries from the right are read.
 */
export function clientAddress(peer: string, forwardedFor: string | readonly string[] | undefined, trustedProxies: readonly Cidr[]): string {
  if (forwardedFor === undefined || !inAny(trustedProxies, peer)) return peer;
  const header = typeof forwardedFor === "string" ? forwardedFor : forwardedFor.join(",");
  const hops = header.split(",").map((h) => h.trim()).slice(-64);
  if (hops.length === 1 && hops[0] === "") return peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!inAny(trustedProxies, hop)) return hop;
  }
  return hops[0]!;
}
