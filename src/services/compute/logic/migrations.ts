import type { StoreOps } from '../../../store/index.js';
import { Repo, type ComputeContext } from './context.js';
import { E } from './errors.js';
import type { Server } from './models.js';

export const MIGRATION_KIND = 'compute.migration';

/** How far a migration went; `migrating` becomes `finished` once the server waits in VERIFY_RESIZE. */
export type MigrationStatus = 'migrating' | 'confirmed' | 'reverted' | 'error';

/** One resize (Nova records a resize as a migration to the same or another host). */
export interface Migration {
  /** Nova's migration ids are integers: the decimal text of a per-cloud counter. */
  id: string;
  serverId: string;
  projectId: string;
  sourceHost: string | null;
  sourceNode: string | null;
  destHost: string | null;
  destNode: string | null;
  oldFlavorId: string;
  newFlavorId: string;
  status: MigrationStatus;
  createdAt: number;
  updatedAt: number | null;
}

/** What os-migrations filters on (all optional, Nova's query parameters). */
export interface MigrationFilter {
  host?: string;
  status?: string;
  serverId?: string;
}

/**
 * os-migrations: a record per resize, written with the resize request and closed by its
 * confirm or revert. The shown status follows the server while the resize runs (migrating,
 * then finished when it waits for confirmation, error when it failed).
 */
export class Migrations {
  readonly repo: Repo<Migration>;

  constructor(private readonly ctx: ComputeContext) {
    this.repo = new Repo<Migration>(ctx, MIGRATION_KIND, (id) => E.notFound(`Migration ${id} could not be found.`, 'MigrationNotFound'));
  }

  /** Records the start of a resize of `s` (its current host) to `newFlavorId`. */
  async begin(s: Server, newFlavorId: string, tx: StoreOps): Promise<void> {
    const id = String(await this.ctx.nextSeq('migration', tx));
    const host = s.host ?? null;
    const node = s.node ?? null;
    const m: Migration = {
      id,
      serverId: s.id,
      projectId: s.projectId,
      sourceHost: host,
      sourceNode: node,
      destHost: host,
      destNode: node,
      oldFlavorId: s.flavor.id,
      newFlavorId,
      status: 'migrating',
      createdAt: this.ctx.now(),
      updatedAt: null,
    };
    await this.repo.create(m, tx);
  }

  /** Closes the open migration of a server (confirm or revert); none open is a no-op. */
  async close(serverId: string, status: 'confirmed' | 'reverted', tx: StoreOps): Promise<void> {
    for (const m of await this.repo.list({ serverId }, tx)) {
      if (m.status === 'migrating') await this.repo.update({ ...m, status, updatedAt: this.ctx.now() }, tx);
    }
  }

  /** Every migration matching `f`, newest first, with the status as it stands. */
  async list(f: MigrationFilter, serverOf: (id: string) => Promise<Server | undefined>): Promise<(Migration & { shownStatus: string })[]> {
    const all = await this.repo.list(f.serverId ? { serverId: f.serverId } : undefined);
    const out: (Migration & { shownStatus: string })[] = [];
    for (const m of all) {
      let shown: string = m.status;
      if (m.status === 'migrating') {
        const s = await serverOf(m.serverId);
        if (!s || s.vmState === 'error') shown = 'error';
        else if (s.vmState === 'resized') shown = 'finished';
      }
      if (f.status !== undefined && shown !== f.status) continue;
      if (f.host !== undefined && m.sourceHost !== f.host && m.destHost !== f.host) continue;
      out.push({ ...m, shownStatus: shown });
    }
    return out.sort((a, b) => Number(b.id) - Number(a.id));
  }
}
