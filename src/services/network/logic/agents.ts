import { randomUUID } from 'node:crypto';
import { E } from '../errors.js';
import type { Core } from './core.js';
import type { Agent, Network, Router } from './models.js';

/** The roles the Stratus process plays for its one host, shown as Neutron agents. */
const ROLES = [
  { agentType: 'DHCP agent', binary: 'neutron-dhcp-agent', topic: 'dhcp_agent', az: 'nova' },
  { agentType: 'L3 agent', binary: 'neutron-l3-agent', topic: 'l3_agent', az: 'nova' },
  { agentType: 'Metadata agent', binary: 'neutron-metadata-agent', topic: 'N/A', az: null },
  { agentType: 'Linux bridge agent', binary: 'neutron-linuxbridge-agent', topic: 'N/A', az: null },
];

/**
 * Agents (`agent`, `dhcp_agent_scheduler`, `l3_agent_scheduler`). The control plane and its
 * driver do the work of Neutron's DHCP, L3, metadata and L2 agents in this one process; each
 * registers at start-up (as an agent does on its first heartbeat) and is alive while the
 * process runs. A network taken off the DHCP agent loses DHCP; a router taken off the L3 agent
 * is removed from the data plane until it is added back.
 */
export class Agents {
  private startedAt = 0;

  constructor(private readonly n: Core) {}

  async register(driverName: string): Promise<void> {
    this.startedAt = this.n.ctx.now();
    await this.n.ctx.tx(async () => {
      const have = await this.n.r.agents.list({ host: this.n.ctx.config.host });
      for (const role of ROLES) {
        if (have.some((a) => a.agentType === role.agentType)) continue;
        await this.n.r.agents.create({
          id: randomUUID(),
          agentType: role.agentType,
          binary: role.binary,
          topic: role.topic,
          host: this.n.ctx.config.host,
          adminStateUp: true,
          description: '',
          availabilityZone: role.az,
          createdAt: this.n.ctx.now(),
          startedAt: this.startedAt,
          configurations: { driver: driverName },
        });
      }
    });
  }

  get heartbeat(): number {
    return this.n.ctx.now();
  }

  get started(): number {
    return this.startedAt;
  }

  list = () => this.n.r.agents.list();
  get = (id: string) => this.n.r.agents.require(id);

  async update(id: string, patch: { adminStateUp?: boolean; description?: string }): Promise<Agent> {
    return this.n.ctx.tx(async () => {
      const a = await this.get(id);
      return this.n.r.agents.update({ ...a, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) });
    });
  }

  async delete(id: string): Promise<void> {
    await this.n.ctx.tx(async () => {
      await this.get(id);
      await this.n.r.agents.delete(id);
    });
  }

  private async ofType(id: string, type: string): Promise<Agent> {
    const a = await this.get(id);
    if (a.agentType !== type) throw E.bad('InvalidAgent', `Agent ${id} is not a ${type} or has been disabled`);
    return a;
  }

  /** Whether the DHCP agent hosts a network (see Network.dhcpScheduled). */
  private async hosted(net: Network): Promise<boolean> {
    if (net.dhcpScheduled !== null) return net.dhcpScheduled;
    return (await this.n.r.subnets.list({ networkId: net.id })).some((s) => s.enableDhcp);
  }

  async dhcpNetworks(agentId: string): Promise<Network[]> {
    await this.ofType(agentId, 'DHCP agent');
    const out: Network[] = [];
    for (const net of await this.n.r.networks.list()) if (await this.hosted(net)) out.push(net);
    return out;
  }

  async dhcpAgentsOf(networkId: string): Promise<Agent[]> {
    const net = await this.n.networks.get(networkId);
    if (!(await this.hosted(net))) return [];
    return (await this.list()).filter((a) => a.agentType === 'DHCP agent');
  }

  async scheduleNetwork(agentId: string, networkId: string, on: boolean): Promise<void> {
    await this.ofType(agentId, 'DHCP agent');
    await this.n.ctx.tx(async () => {
      const net = await this.n.networks.get(networkId);
      const hosted = await this.hosted(net);
      if (on && hosted) throw E.conflict('NetworkHostedByDHCPAgent', `The network ${networkId} has been already hosted by the DHCP Agent ${agentId}.`);
      if (!on && !hosted) throw E.conflict('NetworkNotHostedByDhcpAgent', `The network ${networkId} is not hosted by the DHCP agent ${agentId}.`);
      await this.n.r.networks.update({ ...net, dhcpScheduled: on });
      this.n.schedule('dhcp', networkId);
    });
  }

  async l3Routers(agentId: string): Promise<Router[]> {
    await this.ofType(agentId, 'L3 agent');
    return (await this.n.r.routers.list()).filter((r) => !r.l3Unscheduled);
  }

  async l3AgentsOf(routerId: string): Promise<Agent[]> {
    const rt = await this.n.routers.get(routerId);
    if (rt.l3Unscheduled) return [];
    return (await this.list()).filter((a) => a.agentType === 'L3 agent');
  }

  async scheduleRouter(agentId: string, routerId: string, on: boolean): Promise<void> {
    await this.ofType(agentId, 'L3 agent');
    await this.n.ctx.tx(async () => {
      const rt = await this.n.routers.get(routerId);
      if (on && !rt.l3Unscheduled)
        throw E.conflict('RouterHostedByL3Agent', `The router ${routerId} has been already hosted by the L3 Agent ${agentId}.`);
      if (!on && rt.l3Unscheduled) throw E.conflict('RouterNotHostedByL3Agent', `The router ${routerId} is not hosted by L3 agent ${agentId}.`);
      await this.n.r.routers.update({ ...rt, l3Unscheduled: !on });
      this.n.schedule('router', routerId);
    });
  }
}
