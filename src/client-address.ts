import { isIP } from 'node:net';

/**
 * `raw` as an IP address in one spelling, or null when it is not one. Accepts what proxies write
 * into X-Forwarded-For: `203.0.113.9`, `203.0.113.9:4711`, `2001:db8::1`, `[2001:db8::1]:4711`.
 * IPv6 is written in its shortest form (so `0:0:0:0:0:0:0:1` and `::1` count as one address in the
 * per-address limits) and an IPv4-mapped IPv6 address as its IPv4 address.
 */
export function parseIpAddress(raw: string): string | null {
  let value = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(value);
  if (bracketed !== null) value = bracketed[1] as string;
  else if (/^[\d.]+:\d{1,5}$/.test(value)) value = value.slice(0, value.lastIndexOf(':'));
  switch (isIP(value)) {
    case 4:
      return value;
    case 6: {
      const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(value);
      if (mapped !== null && isIP(mapped[1] as string) === 4) return mapped[1] as string;
      try {
        // The WHATWG URL parser writes IPv6 hosts in the canonical (RFC 5952) form; it refuses zone ids.
        return new URL(`http://[${value}]/`).hostname.slice(1, -1);
      } catch {
        return null;
      }
    }
    default:
      return null;
  }
}

/**
 * The client address a request is counted and audited under. Without a trusted proxy it is the
 * connection's. Behind one (TRUST_PROXY), `forwarded` (what Fastify took from X-Forwarded-For) is
 * used only when it parses as an IP: anything else (`cli`, `<script>`, an empty entry) would be a
 * value the sender chose, so the connection's address (the proxy's) stands in for it.
 */
export function clientAddress(forwarded: string | undefined, connection: string | undefined): string {
  const fromConnection = connection === undefined ? null : parseIpAddress(connection);
  const fromProxy = forwarded === undefined || forwarded === connection ? null : parseIpAddress(forwarded);
  return fromProxy ?? fromConnection ?? 'unknown';
}

/**
 * The key a per-address limit counts `address` (a client address as above) under. IPv4 counts
 * per address; IPv6 per network of `ipv6Prefix` bits (`2001:db8:1:2::/64` at /64), since
 * every IPv6 host is given at least a /64 and could otherwise take a fresh address for each
 * attempt (IPV6_LIMIT_PREFIX; IPV6_NETWORK_PREFIX for the wider per-network caps). Anything else
 * (`unknown`, `cli`) is its own key, and no address (the command line) counts as `unknown`. Audit
 * rows and logs keep the full address; only limits use this.
 */
export function limitKeyOf(address: string | null, ipv6Prefix: number): string {
  if (address === null) return 'unknown';
  const ip = parseIpAddress(address);
  if (ip === null || isIP(ip) === 4) return ip ?? address;
  // parseIpAddress wrote it in hex groups with at most one `::`: fill that in to reach the groups.
  const [head = '', tail] = ip.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const masked = groups.map((group, index) => {
    const kept = Math.min(16, Math.max(0, ipv6Prefix - index * 16));
    return (Number.parseInt(group, 16) & (0xffff << (16 - kept)) & 0xffff).toString(16);
  });
  const network = parseIpAddress(masked.join(':'));
  return `${network ?? ip}/${ipv6Prefix}`;
}

/** IPV6_LIMIT_PREFIX's default: every IPv6 host is given at least a /64. */
export const DEFAULT_IPV6_LIMIT_PREFIX = 64;

/** limitKeyOf at the default /64. */
export function addressLimitKey(address: string | null): string {
  return limitKeyOf(address, DEFAULT_IPV6_LIMIT_PREFIX);
}
