import { createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** The TempURL query parameters of a request. */
export interface TempUrlParams {
  sig: string;
  expires: string;
  prefix?: string;
  ipRange?: string;
  filename?: string;
  inline: boolean;
}

export const TEMPURL_METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'] as const;
export const TEMPURL_DIGESTS = ['sha1', 'sha256', 'sha512'] as const;
type Digest = (typeof TEMPURL_DIGESTS)[number];
const HEX_LENGTH: Record<number, Digest> = { 40: 'sha1', 64: 'sha256', 128: 'sha512' };

export function tempUrlParams(get: (name: string) => string | undefined): TempUrlParams | undefined {
  const sig = get('temp_url_sig');
  const expires = get('temp_url_expires');
  if (sig === undefined && expires === undefined) return undefined;
  const p: TempUrlParams = { sig: sig ?? '', expires: expires ?? '', inline: get('inline') !== undefined };
  const prefix = get('temp_url_prefix');
  const ipRange = get('temp_url_ip_range');
  const filename = get('filename');
  if (prefix !== undefined) p.prefix = prefix;
  if (ipRange !== undefined) p.ipRange = ipRange;
  if (filename !== undefined) p.filename = filename;
  return p;
}

/** Epoch seconds of `temp_url_expires` (integer or ISO 8601 UTC), or undefined if malformed. */
export function expiresAt(v: string): number | undefined {
  if (/^\d{1,12}$/.test(v)) return Number(v);
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(v)) {
    const ms = Date.parse(v);
    return Number.isFinite(ms) ? ms / 1000 : undefined;
  }
  return undefined;
}

/** A signature as sent: hex (digest by length) or `<digest>:<base64>`; undefined if malformed. */
export function parseSignature(sig: string): { digest: Digest; bytes: Buffer } | undefined {
  const m = /^(sha1|sha256|sha512):([A-Za-z0-9_\-+/=]+)$/.exec(sig);
  if (m) {
    const bytes = Buffer.from(m[2]!.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return { digest: m[1] as Digest, bytes };
  }
  const digest = HEX_LENGTH[sig.length];
  if (!digest || !/^[0-9a-fA-F]+$/.test(sig)) return undefined;
  return { digest, bytes: Buffer.from(sig, 'hex') };
}

/** The signed request: method, the object paths it may be signed for, the client address. */
export interface TempUrlRequest {
  method: string;
  /** Candidate paths (`/v1/AUTH_a/c/o`, with and without the gateway prefix). */
  paths: string[];
  /** Object name and its container path, for prefix-based URLs. */
  objectName: string;
  containerPaths: string[];
  remoteIp: string;
  now: number;
}

/** Methods whose signature also admits a HEAD, as Swift allows. */
const HEAD_SIGNED_BY = ['HEAD', 'GET', 'PUT', 'POST'];

/**
 * Whether the TempURL signature is valid for this request with one of `keys`
 * (HMAC over "METHOD\nEXPIRES\nPATH", optionally with "ip=RANGE\n" first and a "prefix:" path).
 */
export function tempUrlValid(p: TempUrlParams, r: TempUrlRequest, keys: string[]): boolean {
  const exp = expiresAt(p.expires);
  const sig = parseSignature(p.sig);
  if (exp === undefined || !sig || exp < r.now || keys.length === 0) return false;
  if (p.ipRange !== undefined && !ipInRange(r.remoteIp, p.ipRange)) return false;
  let paths = r.paths;
  if (p.prefix !== undefined) {
    if (!r.objectName.startsWith(p.prefix)) return false;
    paths = r.containerPaths.map((c) => `prefix:${c}/${p.prefix}`);
  }
  const methods = r.method === 'HEAD' ? HEAD_SIGNED_BY : [r.method];
  for (const key of keys)
    for (const method of methods)
      for (const path of paths) {
        const body = `${p.ipRange !== undefined ? `ip=${p.ipRange}\n` : ''}${method}\n${p.expires}\n${path}`;
        const mac = createHmac(sig.digest, key).update(body).digest();
        if (mac.length === sig.bytes.length && timingSafeEqual(mac, sig.bytes)) return true;
      }
  return false;
}

/** IPv4/IPv6 address or CIDR match. */
export function ipInRange(ip: string, range: string): boolean {
  const clean = (a: string) => a.replace(/^::ffff:/, '');
  const [net, bitsText] = range.split('/');
  const addr = clean(ip);
  if (!net || !isIP(net)) return false;
  if (bitsText === undefined) return clean(net) === addr;
  const bits = Number(bitsText);
  const a = toBits(addr);
  const b = toBits(clean(net));
  if (!a || !b || a.length !== b.length || !Number.isInteger(bits) || bits < 0 || bits > a.length) return false;
  return a.slice(0, bits) === b.slice(0, bits);
}

function toBits(ip: string): string | undefined {
  if (isIP(ip) === 4) return ip.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  if (isIP(ip) !== 6) return undefined;
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g || '0', 16).toString(2).padStart(16, '0')).join('');
}
