import { randomInt } from 'node:crypto';

/** IPv4 dotted quad ↔ 32-bit number. */
export function ipToNumber(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function numberToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(cidr: string): { base: number; bits: number } {
  const [ip, len] = cidr.split('/');
  const base = ipToNumber(ip ?? '');
  const bits = Number(len);
  if (base === undefined || !Number.isInteger(bits) || bits < 8 || bits > 30) throw new Error(`bad service CIDR ${cidr} (want an IPv4 a.b.c.d/8…/30)`);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (base & mask) >>> 0, bits };
}

/** Outcome of a request for a specific value. */
export type Claim = 'ok' | 'taken' | 'out-of-range';

/**
 * Cluster IPs from the service CIDR. Network and broadcast addresses are never handed out.
 * Like upstream (ServiceIPStaticSubrange), random allocation prefers the upper part of the
 * range, leaving the low block (`.1` kubernetes, `.10` DNS…) to explicit requests.
 * State is rebuilt from the stored Services at open, so it survives restarts.
 */
export class ClusterIpAllocator {
  private readonly first: number;
  private readonly last: number;
  private readonly staticEnd: number;
  private readonly used = new Set<number>();

  constructor(readonly cidr: string) {
    const { base, bits } = parseCidr(cidr);
    const size = 2 ** (32 - bits);
    this.first = base + 1;
    this.last = base + size - 2;
    this.staticEnd = Math.min(this.last, base + Math.min(Math.max(16, Math.floor(size / 16)), 256));
  }

  /** The nth usable address (n = 1 → the first, the `kubernetes` service's). */
  nth(n: number): string {
    return numberToIp(this.first + n - 1);
  }

  has(ip: string): boolean {
    const n = ipToNumber(ip);
    return n !== undefined && this.used.has(n);
  }

  claim(ip: string): Claim {
    const n = ipToNumber(ip);
    if (n === undefined || n < this.first || n > this.last) return 'out-of-range';
    if (this.used.has(n)) return 'taken';
    this.used.add(n);
    return 'ok';
  }

  allocate(): string | undefined {
    const lo = this.staticEnd + 1 <= this.last ? this.staticEnd + 1 : this.first;
    for (let i = 0; i < 32; i++) {
      const n = lo + randomInt(this.last - lo + 1);
      if (!this.used.has(n)) {
        this.used.add(n);
        return numberToIp(n);
      }
    }
    for (let n = lo; n <= this.last; n++) if (!this.used.has(n)) return this.take(n);
    for (let n = this.first; n < lo; n++) if (!this.used.has(n)) return this.take(n);
    return undefined;
  }

  private take(n: number): string {
    this.used.add(n);
    return numberToIp(n);
  }

  release(ip: string): void {
    const n = ipToNumber(ip);
    if (n !== undefined) this.used.delete(n);
  }

  /** Human form of the range for error messages. */
  get range(): string {
    return this.cidr;
  }
}

/** Node ports from a closed range (default 30000–32767); never a duplicate. */
export class NodePortAllocator {
  private readonly used = new Set<number>();

  constructor(
    readonly min: number,
    readonly max: number,
  ) {}

  claim(port: number): Claim {
    if (!Number.isInteger(port) || port < this.min || port > this.max) return 'out-of-range';
    if (this.used.has(port)) return 'taken';
    this.used.add(port);
    return 'ok';
  }

  allocate(): number | undefined {
    for (let i = 0; i < 32; i++) {
      const p = this.min + randomInt(this.max - this.min + 1);
      if (!this.used.has(p)) {
        this.used.add(p);
        return p;
      }
    }
    for (let p = this.min; p <= this.max; p++) {
      if (!this.used.has(p)) {
        this.used.add(p);
        return p;
      }
    }
    return undefined;
  }

  release(port: number): void {
    this.used.delete(port);
  }
}
