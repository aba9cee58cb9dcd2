import { randomBytes } from 'node:crypto';
import { E } from '../errors.js';
import { owns } from './access.js';
import type { Core } from './core.js';
import { formatCidr, normalizeIp, normalizeMac, parseCidr } from './ip.js';
import type { Actor, AddressPair } from './models.js';

export const MAX_ADDRESS_PAIRS = 10;
export const MAX_FIXED_IPS = 5;

/** A random MAC with OpenStack's base `fa:16:3e`. */
export function randomMac(): string {
  const b = randomBytes(3);
  return `fa:16:3e:${[...b].map((x) => x.toString(16).padStart(2, '0')).join(':')}`;
}

/** A MAC that no port on the network uses: the one asked for (or 409), else a fresh one. */
export async function pickMac(n: Core, networkId: string, wanted: string | undefined): Promise<string> {
  if (wanted !== undefined) {
    if (await n.r.ports.byUniq(`${networkId}/${wanted}`)) throw E.macInUse(networkId, wanted);
    return wanted;
  }
  for (;;) {
    const mac = randomMac();
    if (!(await n.r.ports.byUniq(`${networkId}/${mac}`))) return mac;
  }
}

/** Security groups named for a port must exist and belong to the port's project. */
export async function checkGroups(n: Core, actor: Actor, projectId: string, ids: string[]): Promise<string[]> {
  const out = [...new Set(ids)];
  const stateful = new Set<boolean>();
  for (const id of out) {
    const g = await n.r.sgs.get(id);
    if (!g || !owns(actor, g.projectId) || (g.projectId !== projectId && !actor.admin)) throw E.sgNotFound(id);
    stateful.add(g.stateful);
  }
  // As Neutron: one port, one kind of filtering (the data plane tracks a port's flows or not).
  if (stateful.size > 1) throw E.sgStatefulMix();
  return out;
}

/** allowed_address_pairs: an IP or CIDR each, MAC defaulting to the port's, no duplicates. */
export function checkPairs(pairs: { ipAddress: string; macAddress?: string }[], portMac: string): AddressPair[] {
  if (pairs.length > MAX_ADDRESS_PAIRS)
    throw E.bad('AllowedAddressPairExhausted', `The number of allowed address pair exceeds the maximum ${MAX_ADDRESS_PAIRS}.`);
  const out = pairs.map((p) => {
    const ip = p.ipAddress.includes('/') ? parseCidr(p.ipAddress) : undefined;
    const addr = ip ? formatCidr(ip) : normalizeIp(p.ipAddress);
    if (!addr || (ip && ip.given !== ip.first))
      throw E.attr(`Invalid input for allowed_address_pairs. Reason: '${p.ipAddress}' is not a valid IP address.`);
    const mac = p.macAddress === undefined ? portMac : normalizeMac(p.macAddress);
    if (!mac) throw E.attr(`Invalid input for allowed_address_pairs. Reason: '${p.macAddress}' is not a valid MAC address.`);
    return { ipAddress: addr, macAddress: mac };
  });
  const keys = out.map((p) => `${p.macAddress} ${p.ipAddress}`);
  const dup = keys.findIndex((k, i) => keys.indexOf(k) !== i);
  if (dup >= 0)
    throw E.bad('DuplicateAddressPairInRequest', `Request contains duplicate address pair: mac_address ${out[dup]!.macAddress} ip_address ${out[dup]!.ipAddress}.`);
  return out;
}

/** Port security rules: groups and allowed pairs need it on. */
export function checkPortSecurity(enabled: boolean, groups: string[], pairs: AddressPair[], explicitGroups: boolean): void {
  if (!enabled && groups.length) throw explicitGroups ? E.portSecurityRequired() : E.portSecurityHasGroups();
  if (!enabled && pairs.length) throw E.pairsNeedPortSecurity();
}
