import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCidr, parseIp, cidrContains, clientAddress } from "./cidr.ts";

test("cidrContains: IPv4, IPv6, IPv4-mapped IPv6, edges", () => {
  const table: Array<[string, string, boolean]> = [
    ["127.0.0.0/8", "127.0.0.1", true],
    ["127.0.0.0/8", "127.255.255.255", true],
    ["127.0.0.0/8", "128.0.0.1", false],
    ["10.0.0.0/8", "10.1.2.3", true],
    ["10.0.0.0/8", "11.0.0.0", false],
    ["192.168.1.0/24", "192.168.1.255", true],
    ["192.168.1.0/24", "192.168.2.0", false],
    ["192.168.1.7/24", "192.168.1.1", true], // host bits in the range are ignored
    ["172.16.0.0/12", "172.31.255.255", true],
    ["172.16.0.0/12", "172.32.0.0", false],
    ["10.0.0.1", "10.0.0.1", true], // bare address: /32
    ["10.0.0.1", "10.0.0.2", false],
    ["10.0.0.1/32", "10.0.0.1", true],
    ["0.0.0.0/0", "203.0.113.9", true],
    ["0.0.0.0/0", "2001:db8::1", false], // families do not mix
    ["::/0", "2001:db8::1", true],
    ["::/0", "10.0.0.1", false],
    ["::1/128", "::1", true],
    ["::1", "0:0:0:0:0:0:0:1", true],
    ["::1/128", "::2", false],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["fd00::/8", "fdab:cdef::1", true],
    ["fe80::/10", "fe80::1%eth0", true], // zone ids are ignored
    ["2001:db8:0:0:1::/80", "2001:db8::1:0:0:5", true],
    ["2001:db8::/127", "2001:db8::1", true],
    ["2001:db8::/127", "2001:db8::2", false],
    // IPv4-mapped IPv6 addresses (a dual-stack socket's peer) are their IPv4 address.
    ["127.0.0.0/8", "::ffff:127.0.0.1", true],
    ["10.0.0.0/8", "::ffff:10.9.8.7", true],
    ["10.0.0.0/8", "::ffff:a09:807", true],
    ["10.0.0.0/8", "::ffff:11.0.0.1", false],
    ["::ffff:10.0.0.0/104", "10.200.0.1", true],
    ["::ffff:10.0.0.0/104", "::ffff:10.200.0.1", true],
    ["::ffff:10.0.0.0/104", "11.0.0.1", false],
    ["10.0.0.0/8", "[::ffff:10.0.0.1]", true],
    // Not addresses: in no range.
    ["0.0.0.0/0", "", false],
    ["0.0.0.0/0", "unknown", false],
    ["0.0.0.0/0", "10.0.0.256", false],
    ["0.0.0.0/0", "010.0.0.1", false],
    ["::/0", "1::2::3", false],
    ["::/0", "12345::", false],
    ["0.0.0.0/0", "10.0.0.1, 10.0.0.2", false],
  ];
  for (const [range, addr, want] of table) assert.equal(cidrContains(parseCidr(range), addr), want, `${range} ∋ ${addr}`);
});

test("parseCidr refuses bad ranges", () => {
  for (const bad of ["", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/8/8", "::/129", "10.0.0/8", "example.com/8", "::ffff:10.0.0.0/95", "10.0.0.0/ 8x"]) {
    assert.throws(() => parseCidr(bad), Error, bad);
  }
});

test("parseIp normalises", () => {
  assert.deepEqual([...parseIp("::ffff:1.2.3.4")!], [1, 2, 3, 4]);
  assert.equal(parseIp("::1")!.length, 16);
  assert.equal(parseIp("nope"), undefined);
});

test("clientAddress: X-Forwarded-For only from trusted proxies, right-most untrusted hop", () => {
  const proxies = [parseCidr("10.0.0.0/8"), parseCidr("::1")];
  const table: Array<[string, string | string[] | undefined, string]> = [
    ["203.0.113.5", "127.0.0.1", "203.0.113.5"], // untrusted peer: header ignored
    ["203.0.113.5", undefined, "203.0.113.5"],
    ["10.0.0.2", undefined, "10.0.0.2"],
    ["10.0.0.2", "", "10.0.0.2"],
    ["10.0.0.2", "198.51.100.7", "198.51.100.7"],
    ["::ffff:10.0.0.2", "198.51.100.7", "198.51.100.7"],
    ["10.0.0.2", "127.0.0.1, 198.51.100.7", "198.51.100.7"], // a client cannot pick its address by prepending
    ["10.0.0.2", "198.51.100.7, 10.0.0.9", "198.51.100.7"], // trusted hops are skipped
    ["10.0.0.2", "10.0.0.8, 10.0.0.9", "10.0.0.8"], // all trusted: the left-most
    ["10.0.0.2", ["1.1.1.1", "2.2.2.2, 10.0.0.3"], "2.2.2.2"],
    ["10.0.0.2", "garbage", "garbage"], // not an address: matches no range later
    ["10.0.0.2", "1.1.1.1,, 10.0.0.3", ""],
    ["::1", "2001:db8::7", "2001:db8::7"],
  ];
  for (const [peer, xff, want] of table) assert.equal(clientAddress(peer, xff, proxies), want, `${peer} ${JSON.stringify(xff)}`);
  assert.equal(clientAddress("10.0.0.2", "198.51.100.7", []), "10.0.0.2");
});
