import type { Actor, Network, Subnet, SubnetPool } from './models.js';

/**
 * Who may see what (Neutron's default policy, which hides rather than forbids: a resource the
 * caller may not see does not exist for them, so reads and writes on it give 404).
 * - Admins see everything.
 * - Everyone sees shared and external networks; subnets only of shared networks.
 * - A network's owner also sees every port on it.
 * - Everything else is visible to its own project only.
 */
export function owns(a: Actor, projectId: string): boolean {
  return a.admin || (a.projectId !== null && a.projectId === projectId);
}

export function seesNetwork(a: Actor, n: Network): boolean {
  return owns(a, n.projectId) || n.shared || n.external;
}

export function seesSubnet(a: Actor, s: Subnet, net: Network | undefined): boolean {
  return owns(a, s.projectId) || (net !== undefined && (net.shared || owns(a, net.projectId)));
}

export function seesPort(a: Actor, p: { projectId: string }, net: Network | undefined): boolean {
  return owns(a, p.projectId) || (net !== undefined && owns(a, net.projectId));
}

export function seesPool(a: Actor, p: SubnetPool): boolean {
  return owns(a, p.projectId) || p.shared;
}
