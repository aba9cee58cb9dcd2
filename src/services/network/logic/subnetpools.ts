import { E } from '../errors.js';
import type { Core } from './core.js';
import { bits, formatCidr, overlaps, parseCidr, within, type Cidr } from './ip.js';
import type { SubnetPool } from './models.js';
import { defined, standard } from './repos.js';

export interface PoolInput {
  name?: string;
  description?: string;
  tags?: string[];
  prefixes?: string[];
  defaultPrefixlen?: number;
  minPrefixlen?: number;
  maxPrefixlen?: number;
  shared?: boolean;
  isDefault?: boolean;
  defaultQuota?: number | null;
}

/**
 * Subnet pools (`subnet_allocation`, `default-subnetpools`): a subnet created with a pool and a
 * prefix length gets the first free aligned block of the pool's prefixes.
 */
export class SubnetPools {
  constructor(private readonly n: Core) {}

  get = (id: string) => this.n.r.pools.require(id);
  list = () => this.n.r.pools.list();

  async defaultFor(v: 4 | 6): Promise<SubnetPool | undefined> {
    return (await this.list()).find((p) => p.isDefault && p.ipVersion === v);
  }

  private checkPrefixes(texts: string[]): Cidr[] {
    if (texts.length === 0) throw E.invalidInput('prefixes must not be empty');
    const cidrs = texts.map((t) => {
      const c = parseCidr(t);
      if (!c) throw E.attr(`Invalid input for prefixes. Reason: '${t}' is not a valid IP subnet.`);
      return c;
    });
    if (new Set(cidrs.map((c) => c.v)).size > 1) throw E.invalidInput('Illegal subnetpool prefix: all prefixes must be of the same IP version');
    // Keep only prefixes not covered by another one.
    return cidrs.filter((c, i) => !cidrs.some((o, j) => j !== i && within(c, o) && (formatCidr(c) !== formatCidr(o) || j < i)));
  }

  private checkBounds(p: SubnetPool): void {
    const max = bits(p.ipVersion);
    const { minPrefixlen: min, defaultPrefixlen: def, maxPrefixlen: hi } = p;
    if (!(min >= 0 && min <= def && def <= hi && hi <= max))
      throw E.invalidInput(`Illegal prefix bounds: min_prefixlen=${min}, default_prefixlen=${def}, max_prefixlen=${hi}`);
  }

  private async checkDefault(p: SubnetPool): Promise<void> {
    if (!p.isDefault) return;
    const other = (await this.list()).find((o) => o.isDefault && o.ipVersion === p.ipVersion && o.id !== p.id);
    if (other) throw E.invalidInput('A default subnetpool for this IP family has already been set. Only one default may exist per IP family');
  }

  async create(projectId: string, input: PoolInput): Promise<SubnetPool> {
    return this.n.ctx.tx(async () => {
      await this.n.quotas.check(projectId, 'subnetpool');
      const prefixes = this.checkPrefixes(input.prefixes ?? []);
      const v = prefixes[0]!.v;
      const min = input.minPrefixlen ?? (v === 4 ? 8 : 64);
      const pool: SubnetPool = {
        ...standard(this.n.ctx, projectId, input),
        ipVersion: v,
        prefixes: prefixes.map(formatCidr),
        minPrefixlen: min,
        defaultPrefixlen: input.defaultPrefixlen ?? min,
        maxPrefixlen: input.maxPrefixlen ?? bits(v),
        shared: input.shared ?? false,
        isDefault: input.isDefault ?? false,
        defaultQuota: input.defaultQuota ?? null,
      };
      this.checkBounds(pool);
      await this.checkDefault(pool);
      return this.n.r.pools.create(pool);
    });
  }

  async update(id: string, patch: PoolInput, ifRevision?: number): Promise<SubnetPool> {
    return this.n.ctx.tx(async () => {
      const cur = await this.get(id);
      const next: SubnetPool = { ...cur, ...defined(patch), prefixes: cur.prefixes };
      if (patch.prefixes) {
        const wanted = this.checkPrefixes(patch.prefixes);
        if (wanted[0]!.v !== cur.ipVersion) throw E.invalidInput('Illegal subnetpool prefix: IP version does not match the pool');
        for (const old of cur.prefixes.map((t) => parseCidr(t)!))
          if (!wanted.some((w) => within(old, w))) throw E.invalidInput(`Illegal update to prefixes: ${formatCidr(old)} can only be extended, not removed`);
        next.prefixes = wanted.map(formatCidr);
      }
      this.checkBounds(next);
      await this.checkDefault(next);
      return this.n.r.pools.update(next, ifRevision);
    });
  }

  async delete(id: string, ifRevision?: number): Promise<void> {
    await this.n.ctx.tx(async () => {
      const p = await this.get(id);
      if (ifRevision !== undefined && ifRevision !== p.revision) throw E.revision(ifRevision, p.revision);
      if (await this.n.r.subnets.count({ subnetpoolId: id })) throw E.subnetpoolInUse(id, 'Subnet pool has existing allocations');
      await this.n.r.pools.delete(id);
    });
  }

  /** The block a new subnet gets: `wanted` checked against the pool, or the first free one. */
  async allocate(pool: SubnetPool, wanted: Cidr | undefined, prefixlen: number | undefined): Promise<Cidr> {
    const taken = (await this.n.r.subnets.list({ subnetpoolId: pool.id })).map((s) => parseCidr(s.cidr)!);
    const prefixes = pool.prefixes.map((t) => parseCidr(t)!);
    const len = wanted?.prefix ?? prefixlen ?? pool.defaultPrefixlen;
    if (len < pool.minPrefixlen || len > pool.maxPrefixlen)
      throw E.badRequest('subnet', `Illegal prefix bounds: prefixlen=${len}, min_prefixlen=${pool.minPrefixlen}, max_prefixlen=${pool.maxPrefixlen}`);
    if (wanted) {
      if (!prefixes.some((p) => within(wanted, p))) throw E.badRequest('subnet', `Cidr ${formatCidr(wanted)} is not within the prefixes of subnet pool ${pool.id}`);
      if (taken.some((t) => overlaps(t, wanted)))
        throw E.invalidInput(`Requested subnet with cidr: ${formatCidr(wanted)} for subnet pool: ${pool.id} overlaps with another subnet`);
      return wanted;
    }
    const size = 1n << BigInt(bits(pool.ipVersion) - len);
    for (const p of prefixes) {
      if (p.prefix > len) continue;
      for (let first = p.first; first + size - 1n <= p.last; first += size) {
        const c: Cidr = { v: p.v, first, last: first + size - 1n, prefix: len, given: first };
        const clash = taken.find((t) => overlaps(t, c));
        if (!clash) return c;
        if (clash.last > c.last) first = clash.last + 1n - size; // skip past a bigger taken block
      }
    }
    throw E.conflict('SubnetAllocationError', `Failed to allocate subnet: Insufficient prefix space to allocate subnet size /${len}.`);
  }
}
