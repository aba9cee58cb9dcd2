import { StoreConflict } from '../../../store/index.js';
import { E } from '../errors.js';
import type { Core } from './core.js';
import { OWNER, type Network } from './models.js';
import { defined, standard } from './repos.js';

export interface ProviderInput {
  networkType?: string;
  physicalNetwork?: string | null;
  segmentationId?: number | null;
}

export interface NetworkInput extends ProviderInput {
  name?: string;
  description?: string;
  tags?: string[];
  adminStateUp?: boolean;
  shared?: boolean;
  external?: boolean;
  isDefault?: boolean;
  mtu?: number;
  portSecurity?: boolean;
  dnsDomain?: string;
  azHints?: string[];
}

const VXLAN_MAX = 16_777_215;
const ENCAP_OVERHEAD: Record<string, number> = { vxlan: 50, geneve: 50, gre: 42 };

/** Networks: provider segments, MTU, sharing, the external flag and the default external net. */
export class Networks {
  constructor(private readonly n: Core) {}

  get = (id: string) => this.n.r.networks.require(id);
  find = (id: string) => this.n.r.networks.get(id);
  list = () => this.n.r.networks.list();

  maxMtu(networkType: string): number {
    return this.n.caps.mtu - (ENCAP_OVERHEAD[networkType] ?? 0);
  }

  async create(projectId: string, input: NetworkInput): Promise<Network> {
    return this.n.ctx.tx(async () => {
      await this.n.quotas.check(projectId, 'network');
      const base = standard(this.n.ctx, projectId, input);
      const seg = await this.allocateSegment(base.id, input);
      const max = this.maxMtu(seg.networkType);
      if (input.mtu !== undefined && input.mtu > max) throw E.invalidInput(`Requested MTU is too big, maximum is ${max}`);
      const net: Network = {
        ...base,
        ...seg,
        adminStateUp: input.adminStateUp ?? true,
        shared: input.shared ?? false,
        external: input.external ?? false,
        isDefault: false,
        mtu: input.mtu ?? max,
        portSecurity: input.portSecurity ?? true,
        dnsDomain: input.dnsDomain ?? '',
        azHints: input.azHints ?? [],
        dhcpScheduled: null,
      };
      if (input.isDefault) await this.checkDefault(net, true);
      net.isDefault = input.isDefault ?? false;
      await this.n.r.networks.create(net);
      this.n.schedule('net', net.id);
      return net;
    });
  }

  /** Validates the provider attributes and reserves the segment (unique VNI or flat physnet). */
  private async allocateSegment(networkId: string, p: ProviderInput) {
    const type = p.networkType ?? this.n.caps.networkTypes[0]!;
    if (!this.n.caps.networkTypes.includes(type)) throw E.invalidInput(`network_type value '${type}' not supported`);
    const physnet = p.physicalNetwork ?? null;
    let seg = p.segmentationId ?? null;
    if (type === 'flat') {
      if (physnet === null) throw E.invalidInput('physical_network required for flat provider network');
      if (!this.n.caps.physicalNetworks.includes(physnet)) throw E.invalidInput(`physical_network '${physnet}' unknown for flat provider network`);
      if (seg !== null) throw E.invalidInput('segmentation_id specified for flat provider network');
      await this.reserve(`flat/${physnet}`, networkId, () => E.flatInUse(physnet));
    } else if (type === 'local') {
      if (physnet !== null || seg !== null) throw E.invalidInput(`${physnet !== null ? 'physical_network' : 'segmentation_id'} specified for local network`);
    } else {
      if (physnet !== null) throw E.invalidInput(`provider:physical_network specified for ${type} network`);
      if (seg !== null && (seg < 1 || seg > VXLAN_MAX)) throw E.invalidInput(`segmentation_id out of range (1 through ${VXLAN_MAX})`);
      if (seg === null) seg = await this.freeVni(type);
      await this.reserve(`${type}/${seg}`, networkId, () => E.tunnelIdInUse(seg!));
    }
    return { networkType: type, physicalNetwork: physnet, segmentationId: seg };
  }

  private async reserve(id: string, networkId: string, taken: () => Error): Promise<void> {
    try {
      await this.n.r.segments.create({ id, networkId });
    } catch (e) {
      throw e instanceof StoreConflict ? taken() : e;
    }
  }

  private async freeVni(type: string): Promise<number> {
    const used = new Set((await this.n.r.segments.list()).filter((s) => s.id.startsWith(`${type}/`)).map((s) => Number(s.id.split('/')[1])));
    for (let i = 1; i <= VXLAN_MAX; i++) if (!used.has(i)) return i;
    throw E.invalidInput('Unable to create the network. No tenant network is available for allocation');
  }

  private async checkDefault(net: Network, wanted: boolean): Promise<void> {
    if (!wanted || net.isDefault) return;
    if (!net.external) throw E.invalidInput('Only an external network can be the default external network');
    const other = (await this.n.r.networks.list({ isDefault: true })).find((x) => x.id !== net.id);
    if (other) throw E.defaultExternalExists(other.id);
  }

  async update(id: string, patch: NetworkInput, ifRevision?: number): Promise<Network> {
    return this.n.ctx.tx(async () => {
      const cur = await this.get(id);
      if (patch.mtu !== undefined && patch.mtu > this.maxMtu(cur.networkType)) throw E.invalidInput(`Requested MTU is too big, maximum is ${this.maxMtu(cur.networkType)}`);
      if (patch.shared === false && cur.shared) await this.checkUnshare(cur);
      if (patch.external === false && cur.external) await this.checkUnexternal(cur);
      const next: Network = { ...cur, ...defined(patch) };
      if (!next.external) next.isDefault = false;
      if (patch.isDefault !== undefined) await this.checkDefault(cur.external === next.external ? cur : next, patch.isDefault);
      const saved = await this.n.r.networks.update(next, ifRevision);
      this.n.schedule('net', id);
      this.n.schedule('dhcp', id);
      return saved;
    });
  }

  private async checkUnshare(net: Network): Promise<void> {
    const foreign = (await this.n.r.ports.list({ networkId: net.id })).some((p) => p.projectId !== net.projectId && p.projectId !== '');
    if (foreign)
      throw E.conflict('InvalidSharedSetting', `Unable to reconfigure sharing settings for network ${net.id}. Multiple tenants are using it.`);
  }

  private async checkUnexternal(net: Network): Promise<void> {
    const ports = await this.n.r.ports.list({ networkId: net.id });
    if (ports.some((p) => p.deviceOwner === OWNER.routerGateway || p.deviceOwner === OWNER.floatingip))
      throw E.conflict('ExternalNetworkInUse', `External network ${net.id} cannot be updated to be made non-external, since it has existing gateway ports.`);
  }

  /** Deletes the network with its subnets and DHCP port; any other port makes it 409. */
  async delete(id: string, ifRevision?: number): Promise<void> {
    await this.n.ctx.tx(async () => {
      const net = await this.get(id);
      if (ifRevision !== undefined && ifRevision !== net.revision) throw E.revision(ifRevision, net.revision);
      // Floating IPs nobody uses go with their external network (Neutron does the same).
      for (const f of await this.n.r.fips.list({ floatingNetworkId: id })) if (!f.portId) await this.n.fips.delete(f.id);
      const ports = await this.n.r.ports.list({ networkId: id });
      if (ports.some((p) => p.deviceOwner !== OWNER.dhcp)) throw E.networkInUse(id);
      for (const s of await this.n.r.subnets.list({ networkId: id })) await this.n.subnets.remove(s, false);
      for (const p of await this.n.r.ports.list({ networkId: id })) await this.n.ports.remove(p);
      for (const s of await this.n.r.segments.list({ networkId: id })) await this.n.r.segments.delete(s.id);
      await this.n.r.networks.delete(id);
      this.n.schedule('dhcp', id);
      this.n.schedule('net', id);
    });
  }
}
