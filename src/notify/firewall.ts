/**
 * The receiver firewall (alertprism.yml `notify.firewall`): HTTP integrations may not connect to
 * addresses in `block_cidrs` unless they are also in `allow_cidrs`. It is enforced on the address a
 * socket is about to connect to — after DNS, on every redirect hop, for literal IP hosts too — so a
 * name that resolves into a blocked range is refused like the address itself.
 */
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { Duplex } from "node:stream";
import { cidrContains, parseIp, type Cidr } from "../auth/cidr.ts";
import { NotifyError } from "./notifier.ts";

export interface FirewallRules {
  readonly blockCidrs: readonly Cidr[];
  /** Exceptions inside the blocked ranges. */
  readonly allowCidrs: readonly Cidr[];
}

/** A connection the firewall refused; `reason` names the address and the range, never the URL. */
export class FirewallRefusal extends Error {
  readonly code = "EFIREWALL";
  constructor(readonly reason: string) {
    super(reason);
    this.name = "FirewallRefusal";
  }
}

/** The refusal anywhere in an error's cause chain (Node may wrap socket errors). */
export function findFirewallRefusal(err: unknown): FirewallRefusal | undefined {
  for (let e = err, depth = 0; e !== null && typeof e === "object" && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof FirewallRefusal) return e;
  }
  return undefined;
}

/** A send the firewall refused: not retryable, since the address will not leave the range by retrying. */
export class FirewallBlockedError extends NotifyError {
  constructor(reason: string) {
    super(false, reason);
  }
}

export function firewallNotifyError(refusal: FirewallRefusal): NotifyError {
  return new FirewallBlockedError(refusal.reason);
}

type AgentCreateConnection = (options: Record<string, unknown>, cb: (err: Error | null, socket?: Duplex) => void) => Duplex | undefined;

export class Firewall {
  /** Shared guarded agents for integrations that keep no agents of their own (PagerDuty, DingTalk). */
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;

  constructor(readonly rules: FirewallRules) {
    this.httpAgent = this.guard(new http.Agent());
    this.httpsAgent = this.guard(new https.Agent());
  }

  /** Why connecting to `address` is refused, or undefined when it is allowed. IPv4-mapped IPv6 counts as IPv4. */
  refusal(address: string): string | undefined {
    if (parseIp(address) === undefined) return undefined;
    const blocked = this.rules.blockCidrs.find((c) => cidrContains(c, address));
    if (!blocked || this.rules.allowCidrs.some((c) => cidrContains(c, address))) return undefined;
    return `destination ${address} is in blocked range ${blocked.text} (notify.firewall.block_cidrs)`;
  }

  /**
   * dns.lookup without the blocked addresses. A name with some allowed addresses connects to those only;
   * a name with none fails with a FirewallRefusal.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, "", 4);
        return;
      }
      let refusal: string | undefined;
      const allowed = addresses.filter((a) => {
        const why = this.refusal(a.address);
        refusal ??= why;
        return why === undefined;
      });
      const first = allowed[0];
      if (first === undefined) {
        callback(new FirewallRefusal(refusal ?? `${hostname} has no address`) as NodeJS.ErrnoException, "", 4);
      } else if (options.all) {
        (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, allowed);
      } else {
        callback(null, first.address, first.family);
      }
    });
  };

  /**
   * Makes an agent check every socket it opens: literal IP hosts here (Node skips lookup for them), names
   * through `lookup`. Redirects reuse the agent, so each hop is checked.
   */
  guard<A extends http.Agent>(agent: A): A {
    const holder = agent as unknown as { createConnection: AgentCreateConnection };
    const original = holder.createConnection.bind(agent);
    holder.createConnection = (options, cb) => {
      const host = String(options.host ?? options.hostname ?? "").replace(/^\[|\]$/g, "");
      const why = isIP(host) !== 0 ? this.refusal(host) : undefined;
      if (why !== undefined) {
        // The agent turns this into the request's 'error' event.
        cb(new FirewallRefusal(why));
        return undefined;
      }
      return original({ ...options, lookup: this.lookup }, cb);
    };
    return agent;
  }
}
