import type { Networking } from './index.js';
import { KIND } from './models.js';
import { SYSTEM } from './ports.js';

export interface NetworkBootstrapOptions {
  adminProjectId: string;
  demoProjectId: string;
  /** Projects that get their `default` security group at once (devstack shows one per project). */
  otherProjectIds?: string[];
}

const MARK = 'bootstrap';

/**
 * First-start networking, as devstack's lib/neutron creates it (reference/openstack-api.md §11):
 * the shared default IPv4 subnet pool 10.0.0.0/22 (/26 by default); the external, default
 * `public` network (flat on physnet `public`, admin-owned) with `public-subnet` 172.24.4.0/24,
 * gateway .1, pool .2–.254 and no DHCP; the demo project's `private` network with
 * `private-subnet` 10.0.0.0/26 from the pool; and `router1` (demo) with its gateway on `public`
 * and an interface on `private-subnet`. Runs once; later starts change nothing.
 */
export async function bootstrapNetwork(n: Networking, opts: NetworkBootstrapOptions): Promise<{ created: boolean }> {
  if (await n.ctx.store.get(KIND.meta, MARK)) return { created: false };
  const admin = opts.adminProjectId;
  const demo = opts.demoProjectId;
  const pool = await n.pools.create(admin, {
    name: 'shared-default-subnetpool-v4',
    prefixes: ['10.0.0.0/22'],
    defaultPrefixlen: 26,
    shared: true,
    isDefault: true,
  });
  const pub = await n.networks.create(admin, {
    name: 'public',
    external: true,
    isDefault: true,
    networkType: 'flat',
    physicalNetwork: 'public',
  });
  await n.subnets.create(admin, pub, {
    name: 'public-subnet',
    networkId: pub.id,
    ipVersion: 4,
    cidr: '172.24.4.0/24',
    gatewayIp: '172.24.4.1',
    enableDhcp: false,
  });
  const priv = await n.networks.create(demo, { name: 'private' });
  const sub = await n.subnets.create(demo, priv, {
    name: 'private-subnet',
    networkId: priv.id,
    ipVersion: 4,
    subnetpoolId: pool.id,
    prefixlen: 26,
  });
  const router = await n.routers.create(demo, { name: 'router1', gateway: { networkId: pub.id } });
  await n.interfaces.add(SYSTEM, router.id, { subnetId: sub.id });
  for (const p of new Set([admin, demo, ...(opts.otherProjectIds ?? [])])) await n.sgs.ensureDefault(p);
  await n.ctx.store.create(KIND.meta, MARK, { version: 1, at: n.ctx.now() });
  return { created: true };
}
