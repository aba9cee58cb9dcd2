/**
 * IPv4/IPv6 address arithmetic on BigInt, for subnets, pools and IPAM. Parsing is strict (what
 * netaddr's INET_PTON mode accepts): no leading zeros in IPv4 octets, no zone ids.
 */
export type IpVersion = 4 | 6;

export interface Ip {
  v: IpVersion;
  n: bigint;
}

export interface Cidr {
  v: IpVersion;
  /** Network address. */
  first: bigint;
  /** Last address (broadcast for IPv4). */
  last: bigint;
  prefix: number;
  /** The address part as written, which may have host bits set. */
  given: bigint;
}

const BITS: Record<IpVersion, number> = { 4: 32, 6: 128 };
const V4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function bits(v: IpVersion): number {
  return BITS[v];
}

function parse4(s: string): bigint | undefined {
  if (!V4_RE.test(s)) return undefined;
  return s.split('.').reduce((acc, o) => (acc << 8n) | BigInt(o), 0n);
}

function parse6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.length > 45) return undefined;
  let tail4: bigint | undefined;
  let text = s;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.')) {
    tail4 = parse4(s.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    text = s.slice(0, lastColon + 1) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const group = (h: string) => (h === '' ? [] : h.split(':'));
  const head = group(halves[0]!);
  const tail = halves.length === 2 ? group(halves[1]!) : [];
  const total = head.length + tail.length;
  if ((halves.length === 1 && total !== 8) || (halves.length === 2 && total > 7)) return undefined;
  const words = [...head, ...Array<string>(8 - total).fill('0'), ...tail];
  let n = 0n;
  for (const w of words) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return undefined;
    n = (n << 16n) | BigInt(parseInt(w, 16));
  }
  if (tail4 !== undefined) n = (n & ~0xffffffffn) | tail4;
  return n;
}

export function parseIp(s: unknown): Ip | undefined {
  if (typeof s !== 'string') return undefined;
  const v4 = parse4(s);
  if (v4 !== undefined) return { v: 4, n: v4 };
  const v6 = s.includes(':') ? parse6(s) : undefined;
  return v6 === undefined ? undefined : { v: 6, n: v6 };
}

export function formatIp(v: IpVersion, n: bigint): string {
  if (v === 4) return [24n, 16n, 8n, 0n].map((s) => ((n >> s) & 255n).toString()).join('.');
  const words = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: compress the longest run (≥2) of zero words, the first one on ties.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Canonical text of an address, or undefined when it does not parse. */
export function normalizeIp(s: unknown): string | undefined {
  const ip = parseIp(s);
  return ip && formatIp(ip.v, ip.n);
}

export function parseCidr(s: unknown): Cidr | undefined {
  if (typeof s !== 'string') return undefined;
  const slash = s.indexOf('/');
  const addr = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!addr) return undefined;
  const max = BITS[addr.v];
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > max) return undefined;
  }
  const hostMask = (1n << BigInt(max - prefix)) - 1n;
  const first = addr.n & ~hostMask & ((1n << BigInt(max)) - 1n);
  return { v: addr.v, first, last: first | hostMask, prefix, given: addr.n };
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.v, c.first)}/${c.prefix}`;
}

export function cidrSize(c: Cidr): bigint {
  return c.last - c.first + 1n;
}

export function contains(c: Cidr, ip: Ip): boolean {
  return ip.v === c.v && ip.n >= c.first && ip.n <= c.last;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.v === b.v && a.first <= b.last && b.first <= a.last;
}

/** True when `inner` lies entirely inside `outer`. */
export function within(inner: Cidr, outer: Cidr): boolean {
  return inner.v === outer.v && inner.first >= outer.first && inner.last <= outer.last;
}

export interface Range {
  first: bigint;
  last: bigint;
}

/**
 * Neutron's default allocation pools: the CIDR minus its network address, minus the IPv4
 * broadcast, minus the gateway. A /32 (or /128) is its own single address; a /31 has none.
 */
export function defaultPools(c: Cidr, gateway: bigint | null): Range[] {
  if (c.first === c.last) return [{ first: c.first, last: c.last }];
  const first = c.first + 1n;
  const last = c.v === 4 ? c.last - 1n : c.last;
  if (first >= last && c.v === 4) return [];
  if (gateway === null || gateway < first || gateway > last) return [{ first, last }];
  const out: Range[] = [];
  if (gateway > first) out.push({ first, last: gateway - 1n });
  if (gateway < last) out.push({ first: gateway + 1n, last });
  return out;
}

export function rangeSize(ranges: Range[]): bigint {
  return ranges.reduce((s, r) => s + (r.last - r.first + 1n), 0n);
}

const MAC_RE = /^([0-9a-f]{2})(:[0-9a-f]{2}){5}$/;

/** Lower-case colon form of a MAC address, or undefined when invalid, multicast or zero. */
export function normalizeMac(s: unknown): string | undefined {
  if (typeof s !== 'string') return undefined;
  const m = s.trim().toLowerCase().replace(/-/g, ':');
  if (!MAC_RE.test(m)) return undefined;
  if (m === '00:00:00:00:00:00' || (parseInt(m.slice(0, 2), 16) & 1) === 1) return undefined;
  return m;
}

/** The EUI-64 (SLAAC) address of `mac` in a /64. */
export function eui64(c: Cidr, mac: string): bigint {
  const b = mac.split(':').map((h) => parseInt(h, 16));
  const iid = [b[0]! ^ 2, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!].reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
  return c.first | iid;
}
