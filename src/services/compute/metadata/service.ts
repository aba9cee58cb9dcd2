import type { Server } from '../logic/models.js';
import type { NetworkPorts } from '../logic/ports.js';
import { EC2_VERSIONS, ec2Tree, metaData, networkData, OPENSTACK_VERSIONS, userData, type InstanceFacts } from './documents.js';

/** One metadata answer, ready for any transport (HTTP over a unix socket, tests). */
export interface MetadataAnswer {
  status: number;
  contentType: string;
  body: string | Buffer;
}

/** Reads servers for the metadata service; the compute logic provides it. */
export interface ServerLookup {
  /** The server holding `ip` on network `networkId`, if any. */
  byAddress(networkId: string, ip: string): Promise<Server | undefined>;
}

const text = (body: string | Buffer, status = 200): MetadataAnswer => ({ status, contentType: 'text/plain; charset=UTF-8', body });
const json = (v: unknown): MetadataAnswer => ({ status: 200, contentType: 'application/json', body: JSON.stringify(v) });
const notFound = (): MetadataAnswer => text('404 Not Found\n\nThe resource could not be found.\n', 404);

/**
 * The metadata service (nova-api-metadata): answers a guest's requests for
 * `/openstack/<version>/…` and the EC2 `/<version>/meta-data/…` tree. The data plane's proxy
 * on 169.254.169.254 tells it which network the request came from and the guest's fixed IP;
 * that pair names the instance (its port), so a guest only ever sees its own data.
 */
export class MetadataService {
  constructor(
    private readonly servers: ServerLookup,
    private readonly network: NetworkPorts,
  ) {}

  private async facts(s: Server): Promise<InstanceFacts> {
    const subnetIds = [...new Set(s.ports.flatMap((p) => p.fixedIps.map((f) => f.subnetId)))];
    const subnets = subnetIds.length ? await this.network.subnets(subnetIds).catch(() => []) : [];
    const addrs = (await this.network.addresses([s.id]).catch(() => new Map())).get(s.id) ?? {};
    const floatingIps = Object.values(addrs as Record<string, { addr: string; type: string }[]>).flat().filter((a) => a.type === 'floating').map((a) => a.addr);
    return { server: s, subnets, floatingIps };
  }

  /** Answers `GET <path>` for the instance at (`networkId`, `ip`). */
  async answer(networkId: string, ip: string, rawPath: string): Promise<MetadataAnswer> {
    const s = await this.servers.byAddress(networkId, ip);
    if (!s) return text('404 Not Found\n\nThe instance could not be identified.\n', 404);
    const path = rawPath.replace(/\?.*$/, '').replace(/\/+/g, '/');
    if (path === '/' || path === '') return text(EC2_VERSIONS.join('\n'));
    const parts = path.split('/').filter(Boolean);
    if (parts[0] === 'openstack') return this.openstack(s, parts.slice(1));
    if (!EC2_VERSIONS.includes(parts[0]!)) return notFound();
    return this.ec2(s, parts.slice(1));
  }

  /** The instance's config drive files, for a driver that builds one. */
  async configDrive(s: Server): Promise<InstanceFacts> {
    return this.facts(s);
  }

  private async openstack(s: Server, parts: string[]): Promise<MetadataAnswer> {
    if (parts.length === 0) return text(OPENSTACK_VERSIONS.join('\n'));
    if (!OPENSTACK_VERSIONS.includes(parts[0]!)) return notFound();
    const file = parts.slice(1).join('/');
    const ud = userData(s);
    if (file === '') return text(['meta_data.json', 'password', 'vendor_data.json', 'network_data.json', 'vendor_data2.json', ...(ud ? ['user_data'] : [])].join('\n'));
    if (file === 'meta_data.json') return json(metaData(await this.facts(s)));
    if (file === 'network_data.json') return json(networkData(await this.facts(s)));
    if (file === 'vendor_data.json' || file === 'vendor_data2.json') return json({});
    if (file === 'password') return text('');
    if (file === 'user_data') return ud ? { status: 200, contentType: 'application/octet-stream', body: ud } : notFound();
    return notFound();
  }

  private async ec2(s: Server, parts: string[]): Promise<MetadataAnswer> {
    const ud = userData(s);
    if (parts.length === 0) return text(['meta-data/', ...(ud ? ['user-data'] : [])].join('\n'));
    if (parts[0] === 'user-data') return ud ? { status: 200, contentType: 'application/octet-stream', body: ud } : notFound();
    if (parts[0] !== 'meta-data') return notFound();
    let node: unknown = ec2Tree(await this.facts(s));
    for (const p of parts.slice(1)) {
      if (typeof node !== 'object' || node === null) return notFound();
      const obj = node as Record<string, unknown>;
      // public-keys/0 also answers for its "0=<name>" entry.
      const key = p in obj ? p : Object.keys(obj).find((k) => k.split('=')[0] === p);
      if (key === undefined) return notFound();
      node = obj[key];
    }
    if (typeof node === 'string') return text(node);
    const obj = node as Record<string, unknown>;
    const listing = Object.entries(obj).map(([k, v]) => (typeof v === 'object' ? (k.includes('=') ? k : `${k}/`) : k));
    return text(listing.join('\n'));
  }
}
