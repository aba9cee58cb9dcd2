import { StratusError } from '../../../core/errors.js';
import type { ComputeContext } from './context.js';
import { E } from './errors.js';
import type { Caller } from './models.js';
import type { ServerRecords } from './servers.js';

/**
 * addSecurityGroup / removeSecurityGroup: the group (by name or id) is added to or removed
 * from every port of the server, and the server records it.
 */
export async function changeSecurityGroup(ctx: ComputeContext, servers: ServerRecords, caller: Caller, id: string, ref: string, add: boolean): Promise<void> {
  const s = await servers.find(caller, id);
  if (s.locked && !caller.admin) throw E.locked(s.id);
  const net = ctx.ports.network;
  const [group] = await net.securityGroups(caller, [ref]).catch((e: unknown) => {
    if (e instanceof StratusError && e.code === 'SecurityGroupNotFoundForProject') throw E.notFound(`Security group ${ref} not found.`, 'SecurityGroupNotFound');
    throw e;
  });
  const has = s.securityGroups.some((g) => g.id === group!.id || (!g.id && g.name === group!.name));
  if (add && has) throw E.bad(`Security group ${group!.name} is already associated with the instance ${s.id}`, 'SecurityGroupExistsForInstance');
  if (!add && !has) throw E.bad(`Security group ${ref} not associated with the instance ${s.id}`, 'SecurityGroupNotExistsForInstance');
  for (const p of await net.portsOf(s.id)) {
    const next = add ? [...new Set([...p.securityGroupIds, group!.id])] : p.securityGroupIds.filter((g) => g !== group!.id);
    await net.setSecurityGroups(p.id, next);
  }
  await servers.mutate(s.id, (cur) => ({
    ...cur,
    securityGroups: add ? [...cur.securityGroups, { id: group!.id, name: group!.name }] : cur.securityGroups.filter((g) => g.id !== group!.id && !(g.id === null && g.name === group!.name)),
  }));
}
