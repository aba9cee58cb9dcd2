import { isIPv4, isIPv6 } from 'node:net';

/**
 * Address helpers for DNS records: IPv4/IPv6 text ↔ bytes, reverse (PTR) names, and the dashed
 * form used in pod names (`10-42-0-5`, `fd00--5`). Every parser returns `undefined` for
 * malformed input; none throws.
 */

export function ipv4Bytes(ip: string): Buffer | undefined {
  if (!isIPv4(ip)) return undefined;
  return Buffer.from(ip.split('.').map((p) => Number(p)));
}

export function ipv6Bytes(ip: string): Buffer | undefined {
  if (!isIPv6(ip) || ip.includes('%')) return undefined;
  let text = ip;
  const out = Buffer.alloc(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipv4Bytes(v4[1]!);
    if (!b) return undefined;
    text = text.slice(0, -v4[1]!.length) + `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = tail === undefined ? hs : [...hs, ...new Array<string>(8 - hs.length - ts.length).fill('0'), ...ts];
  if (groups.length !== 8) return undefined;
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** RFC 5952 text of 16 bytes (longest run of ≥2 zero groups becomes `::`). */
export function formatIPv6(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** `10.0.0.1` → `1.0.0.10.in-addr.arpa`; IPv6 → nibbles under `ip6.arpa`. */
export function reverseName(ip: string): string | undefined {
  const v4 = canonicalIPv4(ip);
  if (v4) return `${v4.split('.').reverse().join('.')}.in-addr.arpa`;
  const v6 = ipv6Bytes(ip);
  if (!v6) return undefined;
  const nibbles: string[] = [];
  for (const byte of v6) nibbles.push((byte >> 4).toString(16), (byte & 15).toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

/** Canonical text of an address (so `fd00:0::1` and `fd00::1` index alike), or undefined. */
export function canonicalIp(ip: string): string | undefined {
  const v4 = canonicalIPv4(ip);
  if (v4) return v4;
  const v6 = ipv6Bytes(ip);
  return v6 ? formatIPv6(v6) : undefined;
}

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Dotted-quad text without leading zeros, or undefined (the fast path: no Buffer). */
function canonicalIPv4(ip: string): string | undefined {
  const m = DOTTED.exec(ip);
  if (!m) return undefined;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  if (parts.some((p) => p > 255)) return undefined;
  return parts.join('.');
}

/** `10.42.0.5` → `10-42-0-5`; `fd00::5` → `fd00--5` (the label of pod and endpoint names). */
export function dashedIp(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

/** The inverse of `dashedIp`: a label such as `10-42-0-5` → `10.42.0.5`, or undefined. */
export function undashIp(label: string): { ip: string; family: 4 | 6 } | undefined {
  const v4 = label.replace(/-/g, '.');
  if (isIPv4(v4) && /^\d+(\.\d+){3}$/.test(v4)) return { ip: canonicalIp(v4)!, family: 4 };
  const v6 = label.replace(/-/g, ':');
  if (isIPv6(v6)) return { ip: canonicalIp(v6)!, family: 6 };
  return undefined;
}
