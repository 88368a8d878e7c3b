import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { invalidParameter } from '../../errors';

/**
 * Where webhooks may not go unless the operator says so (README "Webhooks"): the address a URL
 * resolves to is checked when the socket connects (the agents' `lookup`), so a name that resolves
 * elsewhere later (DNS rebinding) or a redirect (never followed) cannot reach it either.
 */
export interface AddressPolicy {
  /** WEBHOOK_ALLOWED_HOSTS: host names or addresses (lower case) allowed whatever they resolve to. */
  allowedHosts: readonly string[];
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: private, loopback and CGNAT ranges allowed (link-local, metadata, unspecified never). */
  allowPrivateNetworks: boolean;
}

/** Never reachable: unspecified, link-local (cloud metadata lives there), multicast, reserved, mapped/translated IPv6. */
const ALWAYS = new net.BlockList();
for (const [a, p] of [
  ['0.0.0.0', 8],
  ['169.254.0.0', 16],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  ALWAYS.addSubnet(a, p, 'ipv4');
for (const [a, p] of [
  ['::', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  ALWAYS.addSubnet(a, p, 'ipv6');
ALWAYS.addAddress('fd00:ec2::254', 'ipv6');

/** Private networks: allowed only with WEBHOOK_ALLOW_PRIVATE_NETWORKS. */
const PRIVATE = new net.BlockList();
for (const [a, p] of [
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  PRIVATE.addSubnet(a, p, 'ipv4');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');

const unbracket = (h: string) => h.replace(/^\[|\]$/g, '').toLowerCase();

/** Why `address` may not be connected to under `policy`, or undefined if it may. */
export function refusalOf(address: string, policy: AddressPolicy): string | undefined {
  const ip = unbracket(address);
  const family = net.isIP(ip);
  if (family === 0) return `'${address}' is not an IP address`;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  // IPv4-mapped IPv6 written either way (::ffff:127.0.0.1 or ::ffff:7f00:1); a BlockList would also
  // match plain IPv4 addresses against such a range, so they are told apart here.
  if (type === 'ipv6' && /^(?:0{0,4}:){0,5}:?ffff:/i.test(ip)) return `${ip} is an IPv4-mapped IPv6 address`;
  if (ALWAYS.check(ip, type)) return `${ip} is a link-local, metadata, unspecified, multicast or reserved address`;
  if (PRIVATE.check(ip, type) && !policy.allowPrivateNetworks) return `${ip} is a loopback, private or CGNAT address (WEBHOOK_ALLOW_PRIVATE_NETWORKS is off)`;
  return undefined;
}

export const hostAllowed = (host: string, policy: AddressPolicy) => policy.allowedHosts.includes(unbracket(host));

/**
 * Why a URL's host may not be connected to when it is a literal address (no lookup runs for one, so
 * the guarded lookup never sees it), or undefined: a host name, an allowed host, an allowed address.
 */
export function literalRefusal(hostname: string, policy: AddressPolicy): string | undefined {
  const host = unbracket(hostname);
  return net.isIP(host) !== 0 && !hostAllowed(host, policy) ? refusalOf(host, policy) : undefined;
}

/** The error of a connection the guard refused; never retried. */
export class BlockedAddressError extends Error {
  readonly code = 'EWEBHOOKBLOCKED';
}

/**
 * Checks a webhook URL when it is created or changed: http or https, and a literal address must be
 * allowed (a host name is checked when it is resolved, at every delivery).
 */
export function checkWebhookUrl(raw: string, policy: AddressPolicy): URL {
  if (raw.trim() === '') throw invalidParameter(`Webhook URL cannot be empty or just whitespace: '${raw}'`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidParameter(`Invalid webhook URL '${raw.slice(0, 200)}'`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidParameter(`Invalid webhook URL scheme: '${url.protocol.replace(/:$/, '')}'. Allowed schemes are: https, http.`);
  }
  if (url.username || url.password) throw invalidParameter('Invalid webhook URL: credentials in the URL are not allowed; use the webhook secret.');
  const why = literalRefusal(url.hostname, policy);
  if (why) throw invalidParameter(`Invalid webhook URL: ${why}; allow it with WEBHOOK_ALLOWED_HOSTS or WEBHOOK_ALLOW_PRIVATE_NETWORKS.`);
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** A `lookup` for net.connect that resolves as usual and refuses the answer if any address is not allowed. */
export function guardedLookup(policy: AddressPolicy): net.LookupFunction {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, options.all ? [] : '', undefined);
      const list = addresses;
      if (!hostAllowed(hostname, policy)) {
        for (const a of list) {
          const why = refusalOf(a.address, policy);
          if (why) return callback(new BlockedAddressError(`refused to connect to ${hostname}: ${why}`), options.all ? [] : '', undefined);
        }
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', undefined);
      callback(null, first.address, first.family);
    });
  };
}

/** The agents every webhook request goes through: no keep-alive, the guarded lookup. */
export function guardedAgents(policy: AddressPolicy): { http: http.Agent; https: https.Agent } {
  const lookup = guardedLookup(policy);
  return { http: new http.Agent({ keepAlive: false, lookup }), https: new https.Agent({ keepAlive: false, lookup }) };
}
