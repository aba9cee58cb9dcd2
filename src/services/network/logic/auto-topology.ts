import { E } from '../errors.js';
import type { Networking } from './index.js';
import { KIND } from './models.js';
import { SYSTEM } from './ports.js';

interface Topology {
  networkId: string;
  subnetId: string;
  routerId: string;
}

const key = (projectId: string) => `auto/${projectId}`;

/**
 * `auto-allocated-topology` ("get me a network"): a project's own network with a subnet from
 * the default IPv4 pool and a router to the default external network, made on first request.
 */
export class AutoTopology {
  constructor(private readonly n: Networking) {}

  private async requirements() {
    const ext = (await this.n.r.networks.list({ isDefault: true })).find((x) => x.external);
    const pool = await this.n.pools.defaultFor(4);
    if (!ext || !pool)
      throw E.conflict('AutoAllocationFailure', 'Deployment error: No default router:external network or default subnetpool for IPv4 is set.');
    return { ext, pool };
  }

  async dryRun(): Promise<void> {
    await this.requirements();
  }

  async get(projectId: string): Promise<string> {
    const found = await this.n.ctx.store.get<Topology>(KIND.meta, key(projectId));
    if (found) return found.data.networkId;
    return this.n.ctx.tx(async () => {
      const again = await this.n.ctx.ops().get<Topology>(KIND.meta, key(projectId));
      if (again) return again.data.networkId;
      const { ext, pool } = await this.requirements();
      const network = await this.n.networks.create(projectId, { name: 'auto_allocated_network' });
      const subnet = await this.n.subnets.create(projectId, network, { name: 'auto_allocated_subnet_v4', networkId: network.id, ipVersion: 4, subnetpoolId: pool.id });
      const router = await this.n.routers.create(projectId, { name: 'auto_allocated_router', gateway: { networkId: ext.id } });
      await this.n.interfaces.add(SYSTEM, router.id, { subnetId: subnet.id });
      await this.n.ctx.ops().create<Topology>(KIND.meta, key(projectId), { networkId: network.id, subnetId: subnet.id, routerId: router.id });
      return network.id;
    });
  }

  async delete(projectId: string): Promise<void> {
    await this.n.ctx.tx(async () => {
      const t = (await this.n.ctx.ops().get<Topology>(KIND.meta, key(projectId)))?.data;
      if (!t) throw E.notFound('TopologyNotFound', `Topology for project ${projectId} could not be found.`);
      if (await this.n.routers.find(t.routerId)) {
        for (const p of await this.n.interfaces.interfacesOf(t.routerId)) await this.n.interfaces.remove(SYSTEM, t.routerId, { portId: p.id });
        await this.n.routers.delete(t.routerId);
      }
      if (await this.n.networks.find(t.networkId)) await this.n.networks.delete(t.networkId);
      await this.n.ctx.ops().delete(KIND.meta, key(projectId));
    });
  }
}
