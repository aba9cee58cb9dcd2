import { StratusError } from '../../../core/errors.js';
import { Repo, type ComputeContext } from './context.js';
import { E } from './errors.js';

export const FLOATING_BULK_KIND = 'compute.floating_ip_bulk';

/** One address of Nova's own floating IP inventory (os-floating-ips-bulk). */
export interface BulkAddress {
  /** The address itself. */
  id: string;
  pool: string;
  interface: string;
  createdAt: number;
}

/** Nova's defaults: CONF.default_floating_pool and CONF.public_interface. */
const DEFAULT_POOL = 'nova';
const DEFAULT_INTERFACE = 'eth0';
/** More addresses than this in one request is refused (a /16 at most). */
const MAX_RANGE = 65_536;

function v4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!;
}
const text = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');

/** The addresses of `range`: one IPv4 address, or the hosts of an IPv4 CIDR (400 otherwise). */
export function rangeHosts(range: string): string[] {
  const [addr, bits] = range.split('/');
  const base = v4(addr ?? '');
  const prefix = bits === undefined ? 32 : /^\d{1,2}$/.test(bits) ? Number(bits) : NaN;
  if (base === undefined || !(prefix >= 0 && prefix <= 32)) throw E.bad(`Invalid input received: ${range} is not a valid IP network.`, 'InvalidInput');
  if (prefix === 32) return [text(base)];
  const size = 2 ** (32 - prefix);
  if (size > MAX_RANGE) throw E.bad(`Invalid input received: ${range} has more than ${MAX_RANGE} addresses.`, 'InvalidInput');
  const first = (base - (base % size)) >>> 0;
  const hosts: string[] = [];
  // Network and broadcast addresses are not hosts, except in /31.
  const [lo, hi] = prefix === 31 ? [0, size] : [1, size - 1];
  for (let i = lo; i < hi; i++) hosts.push(text(first + i));
  return hosts;
}

/**
 * os-floating-ips-bulk (admin, nova-network's inventory API, still in the 2.1 API): Nova kept
 * these addresses in its own database and, with Neutron, nothing else uses them. Stratus does
 * the same: the records are listed and deleted here and have no effect on networking.
 */
export class FloatingBulk {
  readonly repo: Repo<BulkAddress>;

  constructor(private readonly ctx: ComputeContext) {
    this.repo = new Repo<BulkAddress>(ctx, FLOATING_BULK_KIND, (id) => E.notFound(`Floating IP not found for address ${id}.`, 'FloatingIpNotFoundForAddress'));
  }

  list(): Promise<BulkAddress[]> {
    return this.repo.list();
  }

  /** Adds every host of `range`; 409 (nothing added) when one already exists. */
  async create(range: string, pool: string | undefined, iface: string | undefined): Promise<{ pool: string; interface: string }> {
    const hosts = rangeHosts(range);
    const out = { pool: pool ?? DEFAULT_POOL, interface: iface ?? DEFAULT_INTERFACE };
    await this.ctx.store.tx(async (tx) => {
      for (const h of hosts) {
        if (await this.repo.get(h, tx)) throw new StratusError('Conflict', `Floating ip ${h} already exists.`, 'FloatingIpExists');
        await this.repo.create({ id: h, ...out, createdAt: this.ctx.now() }, tx);
      }
    });
    return out;
  }

  /** Removes every host of `range` that exists. */
  async delete(range: string): Promise<void> {
    const hosts = rangeHosts(range);
    await this.ctx.store.tx(async (tx) => {
      for (const h of hosts) await this.repo.delete(h, tx);
    });
  }
}
