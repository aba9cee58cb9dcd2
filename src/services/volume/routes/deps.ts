import type { BlockStorage } from '../logic/index.js';
import type { Caller } from '../logic/models.js';
import type { VolumeViewContext } from '../views/volumes.js';

export interface VolumeRouteDeps {
  bs: BlockStorage;
  /** Public base URL (no trailing slash). */
  base: () => string;
}

/** Everything a volume view needs for this caller. */
export async function viewContext(deps: VolumeRouteDeps, caller: Caller): Promise<VolumeViewContext> {
  const types = await deps.bs.types.repo.list();
  return { base: deps.base(), typeNames: new Map(types.map((t) => [t.id, t.name])), admin: caller.admin };
}

export type IdParams = { Params: { id: string } };
export type KeyParams = { Params: { id: string; key: string } };
