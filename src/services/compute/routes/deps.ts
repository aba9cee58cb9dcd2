import type { Logger } from '../../../core/log.js';
import type { ComputeLogic } from '../logic/index.js';
import type { Caller, Server } from '../logic/models.js';
import type { ServerViewCtx } from '../views/server.js';

export interface ComputeRouteDeps {
  logic: ComputeLogic;
  log: Logger;
  /** `http://host:port/compute`. */
  base(): string;
}

export type IdParams = { Params: { id: string } };

/** The rendering context for a set of servers: their addresses come from the network service. */
export async function viewCtx(d: ComputeRouteDeps, caller: Caller, servers: readonly Server[]): Promise<ServerViewCtx> {
  let addresses = new Map<string, Record<string, never[]>>() as ServerViewCtx['addresses'];
  const withPorts = servers.filter((s) => s.ports.length).map((s) => s.id);
  if (withPorts.length) {
    try {
      addresses = await d.logic.ctx.ports.network.addresses(withPorts);
    } catch (e) {
      d.log.warn(`addresses from the network service: ${(e as Error).message}`);
    }
  }
  return { base: d.base(), admin: caller.admin, addresses };
}
