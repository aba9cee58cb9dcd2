import type { NetworkCapabilities } from '../../../drivers/network/driver.js';
import type { NetContext } from './context.js';
import type { FloatingIps } from './floatingips.js';
import type { Ipam } from './ipam.js';
import type { Networks } from './networks.js';
import type { Ports } from './ports.js';
import type { Quotas } from './quotas.js';
import type { SyncKind } from './reconciler.js';
import type { Repos } from './repos.js';
import type { RouterInterfaces } from './router-interfaces.js';
import type { Routers } from './routers.js';
import type { SecurityGroups } from './secgroups.js';
import type { SubnetPools } from './subnetpools.js';
import type { Subnets } from './subnets.js';

/** What the resource modules share: each takes the whole core and reaches its peers through it. */
export interface Core {
  readonly ctx: NetContext;
  readonly r: Repos;
  readonly ipam: Ipam;
  readonly quotas: Quotas;
  readonly caps: NetworkCapabilities;
  readonly networks: Networks;
  readonly subnets: Subnets;
  readonly pools: SubnetPools;
  readonly ports: Ports;
  readonly routers: Routers;
  readonly interfaces: RouterInterfaces;
  readonly fips: FloatingIps;
  readonly sgs: SecurityGroups;
  /** Asks the reconciler to sync an object once the current transaction commits. */
  schedule(kind: SyncKind, id: string): void;
}
