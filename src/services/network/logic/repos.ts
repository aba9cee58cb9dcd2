import { randomUUID } from 'node:crypto';
import { E } from '../errors.js';
import { Repo, type NetContext } from './context.js';
import {
  KIND,
  type Agent,
  type FloatingIp,
  type IpAllocation,
  type MeteringLabel,
  type MeteringLabelRule,
  type Network,
  type Port,
  type Quota,
  type Router,
  type SecurityGroup,
  type SecurityGroupRule,
  type Standard,
  type Subnet,
  type SubnetPool,
} from './models.js';

/** One typed repository per record kind, with Neutron's not-found errors. */
export class Repos {
  readonly networks: Repo<Network>;
  readonly subnets: Repo<Subnet>;
  readonly ports: Repo<Port>;
  readonly routers: Repo<Router>;
  readonly fips: Repo<FloatingIp>;
  readonly sgs: Repo<SecurityGroup>;
  readonly rules: Repo<SecurityGroupRule>;
  readonly pools: Repo<SubnetPool>;
  readonly quotas: Repo<Quota>;
  readonly allocs: Repo<IpAllocation>;
  readonly agents: Repo<Agent>;
  readonly labels: Repo<MeteringLabel>;
  readonly labelRules: Repo<MeteringLabelRule>;
  /** Segment ids in use: `<type>/<physnet>/<id>` keeps VNIs and flat physnets unique. */
  readonly segments: Repo<{ id: string; networkId: string }>;

  constructor(ctx: NetContext) {
    this.networks = new Repo(ctx, KIND.network, E.networkNotFound);
    this.subnets = new Repo(ctx, KIND.subnet, E.subnetNotFound);
    // A MAC is unique per network (Neutron's unique constraint on network_id + mac_address).
    this.ports = new Repo<Port>(ctx, KIND.port, E.portNotFound, (p) => `${p.networkId}/${p.macAddress}`);
    this.routers = new Repo(ctx, KIND.router, E.routerNotFound);
    this.fips = new Repo(ctx, KIND.floatingip, E.fipNotFound);
    // One default group per project, even when two first uses race.
    this.sgs = new Repo<SecurityGroup>(ctx, KIND.sg, E.sgNotFound, (g) => (g.isDefault ? `${g.projectId}/default` : null));
    this.rules = new Repo(ctx, KIND.sgRule, E.sgRuleNotFound);
    this.pools = new Repo(ctx, KIND.subnetpool, E.subnetpoolNotFound);
    this.quotas = new Repo(ctx, KIND.quota, (id) => E.attr(`Quota for ${id} not found`));
    this.allocs = new Repo(ctx, KIND.alloc, (id) => E.attr(`Allocation ${id} not found`));
    this.agents = new Repo(ctx, KIND.agent, E.agentNotFound);
    this.labels = new Repo(ctx, KIND.meteringLabel, E.meteringLabelNotFound);
    this.labelRules = new Repo(ctx, KIND.meteringRule, E.meteringRuleNotFound);
    this.segments = new Repo(ctx, KIND.segment, (id) => E.attr(`Segment ${id} not found`));
  }
}

/** Standard attributes for a new resource. */
export function standard(ctx: NetContext, projectId: string, input: { name?: string; description?: string; tags?: string[]; id?: string }): Standard {
  const now = ctx.now();
  return {
    id: input.id ?? randomUUID(),
    projectId,
    name: input.name ?? '',
    description: input.description ?? '',
    tags: input.tags ?? [],
    createdAt: now,
    updatedAt: now,
    revision: 1,
  };
}

/** Drops keys whose value is undefined, so a patch never erases stored fields. */
export function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
