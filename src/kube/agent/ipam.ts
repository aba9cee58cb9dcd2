/**
 * Host-local IPv4 address management for one node's pod CIDR: `.0` is the network, `.1` the
 * node's bridge (the pods' gateway), the last address the broadcast; pods get the rest.
 * Addresses are handed out round-robin from the last one given (like the CNI host-local
 * plugin), so a freed address is not reused at once and a late packet or a stale endpoint
 * never reaches the wrong pod.
 */
export class PodIpam {
  private readonly base: number;
  private readonly size: number;
  private readonly used = new Map<number, string>();
  private next = 2;

  constructor(readonly cidr: string) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
    const octets = m ? m.slice(1, 5).map(Number) : [];
    const prefix = m ? Number(m[5]) : -1;
    if (!m || octets.some((o) => o > 255) || prefix < 8 || prefix > 30) {
      throw new Error(`pod CIDR "${cidr}" is not an IPv4 CIDR between /8 and /30 (for example 10.42.1.0/24)`);
    }
    const addr = octets.reduce((a, o) => a * 256 + o, 0);
    this.size = 2 ** (32 - prefix);
    this.base = addr - (addr % this.size);
  }

  /** The gateway address pods route through (`.1`). */
  get gateway(): string {
    return toIp(this.base + 1);
  }

  /** How many pod addresses the CIDR holds. */
  get capacity(): number {
    return this.size - 3;
  }

  /** Allocates an address for `owner` (a pod uid); the same owner gets the same address back. */
  allocate(owner: string): string {
    for (const [off, o] of this.used) if (o === owner) return toIp(this.base + off);
    for (let n = 0; n < this.size - 3; n++) {
      const off = 2 + ((this.next - 2 + n) % (this.size - 3));
      if (!this.used.has(off)) {
        this.used.set(off, owner);
        this.next = off + 1 >= this.size - 1 ? 2 : off + 1;
        return toIp(this.base + off);
      }
    }
    throw new Error(`no free pod address left in ${this.cidr} (${this.capacity} in use); delete pods or give the node a larger pod CIDR`);
  }

  /** Marks an address as taken (adoption after a restart); false if it is outside the CIDR or taken by another owner. */
  claim(ip: string, owner: string): boolean {
    const off = fromIp(ip) - this.base;
    if (!(off >= 2 && off < this.size - 1)) return false;
    const cur = this.used.get(off);
    if (cur !== undefined && cur !== owner) return false;
    this.used.set(off, owner);
    return true;
  }

  release(owner: string): void {
    for (const [off, o] of this.used) if (o === owner) this.used.delete(off);
  }

  get inUse(): number {
    return this.used.size;
  }
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function fromIp(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
