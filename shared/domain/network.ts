/**
 * Which addresses a tenant's connector may reach. A connector names a host (REST URL, S3 endpoint,
 * database), so without a rule a tenant could point one at what only our function can reach: Lambda's
 * runtime API on 127.0.0.1:9001, link-local metadata services, or other hosts in our VPC.
 *
 * - `public`: only globally routable addresses (the default).
 * - `private`: also RFC 1918 / unique-local ranges, for a deployment whose pull function sits in a VPC to
 *   reach private databases; loopback, link-local and unspecified addresses stay refused.
 * - `any`: the local cloud, whose test sources listen on 127.0.0.1.
 *
 * Metadata services and documentation ranges are refused under every policy.
 */
import { isIP } from 'node:net';

export const NETWORK_POLICIES = ['public', 'private', 'any'] as const;
export type NetworkPolicy = (typeof NETWORK_POLICIES)[number];

export type AddressClass =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'unspecified'
  | 'reserved'
  /** Cloud instance/task metadata services: credentials live there. */
  | 'metadata'
  /** RFC 5737 / RFC 3849 / RFC 9637 example ranges: no real source, only a sign of a probe. */
  | 'documentation';

/** Refused whatever the policy, even on the local cloud. */
const NEVER: ReadonlySet<AddressClass> = new Set(['metadata', 'documentation']);

function ipv4Octets(ip: string): number[] {
  return ip.split('.').map(Number);
}

function classifyIpv4(ip: string): AddressClass {
  const [a = 0, b = 0, c = 0, d = 0] = ipv4Octets(ip);
  if (a === 0) return 'unspecified';
  // EC2 instance metadata, and ECS/Fargate task metadata (169.254.170.2).
  if (a === 169 && b === 254 && ((c === 169 && d === 254) || (c === 170 && d === 2))) return 'metadata';
  if (a === 127) return 'loopback';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  // Carrier-grade NAT (100.64/10) is private to a provider's network.
  if (a === 100 && b >= 64 && b <= 127) return 'private';
  if (
    (a === 192 && b === 0 && c === 2) ||
    (a === 198 && b === 51 && c === 100) ||
    (a === 203 && b === 0 && c === 113)
  ) {
    return 'documentation';
  }
  // Multicast, the old class E, broadcast, the benchmark range and IETF protocol assignments (192.0.0/24)
  // are never a source.
  if (a >= 224) return 'reserved';
  if (a === 198 && (b === 18 || b === 19)) return 'reserved';
  if (a === 192 && b === 0 && c === 0) return 'reserved';
  return 'public';
}

/** Expands an IPv6 address to eight 16-bit groups (handles `::`, a zone and an embedded IPv4 tail). */
function ipv6Groups(ip: string): number[] {
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = ipv4Octets(last);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const halves = text.split('::');
  if (halves.length === 1) return parse(text);
  const left = parse(halves[0] ?? '');
  const right = parse(halves[1] ?? '');
  return [...left, ...Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0), ...right];
}

function classifyIpv6(ip: string): AddressClass {
  const g = ipv6Groups(ip);
  if (g.length !== 8) return 'reserved';
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const zeroHead = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zeroHead && g5 === 0 && g6 === 0 && g7 === 0) return 'unspecified';
  if (zeroHead && g5 === 0 && g6 === 0 && g7 === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible form: judge the IPv4 address.
  if (zeroHead && (g5 === 0xffff || g5 === 0)) {
    return classifyIpv4(`${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`);
  }
  // EC2's IPv6 instance metadata endpoint sits in the unique-local range: check it before that range.
  if (
    g0 === 0xfd00 &&
    g1 === 0x0ec2 &&
    g2 === 0 &&
    g3 === 0 &&
    g4 === 0 &&
    g5 === 0 &&
    g6 === 0 &&
    g7 === 0x254
  ) {
    return 'metadata';
  }
  if ((g0 === 0x2001 && g1 === 0x0db8) || (g0 & 0xfff0) === 0x3ff0) return 'documentation';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xfe00) === 0xfc00) return 'private';
  if ((g0 & 0xff00) === 0xff00) return 'reserved';
  // NAT64 (64:ff9b::/96) embeds an IPv4 address.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return classifyIpv4(`${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`);
  }
  return 'public';
}

/** The class of an IP literal; `reserved` for anything that is not one. */
export function classifyAddress(ip: string): AddressClass {
  switch (isIP(ip.replace(/^\[|\]$/g, '').replace(/%.*$/, ''))) {
    case 4:
      return classifyIpv4(ip);
    case 6:
      return classifyIpv6(ip.replace(/^\[|\]$/g, ''));
    default:
      return 'reserved';
  }
}

export function addressAllowed(ip: string, policy: NetworkPolicy): boolean {
  const kind = classifyAddress(ip);
  if (NEVER.has(kind)) return false;
  if (policy === 'any') return true;
  return kind === 'public' || (policy === 'private' && kind === 'private');
}
