import { UUID_RE } from '../../../core/ids.js';
import type { StoreOps } from '../../../store/index.js';
import type { ComputeContext } from './context.js';
import { Repo } from './context.js';
import { E } from './errors.js';
import { KIND, type Caller, type Server, type ServerTask } from './models.js';

/**
 * Server records: reads with Nova's visibility (a project sees its own servers, an admin
 * every server) and read-modify-write updates inside a transaction, so the API and the
 * reconciler never overwrite each other's changes.
 */
export class ServerRecords {
  readonly repo: Repo<Server>;

  constructor(private readonly ctx: ComputeContext) {
    this.repo = new Repo<Server>(ctx, KIND.server, E.serverNotFound);
  }

  /** The server if the caller may see it; 404 otherwise, also for ids that are not UUIDs. */
  async find(caller: Caller, id: string): Promise<Server> {
    const s = UUID_RE.test(id) ? await this.repo.get(id) : undefined;
    if (!s || (!caller.admin && s.projectId !== caller.projectId)) throw E.serverNotFound(id);
    return s;
  }

  get(id: string, tx?: StoreOps): Promise<Server | undefined> {
    return this.repo.get(id, tx);
  }

  /**
   * Applies `fn` to the stored server in one transaction; `fn` may throw (e.g. a 409) or
   * return undefined to leave the record alone. Resolves the stored result.
   */
  async mutate(id: string, fn: (s: Server, tx: StoreOps) => Server | undefined | Promise<Server | undefined>): Promise<Server> {
    let changed = false;
    const out = await this.ctx.store.tx(async (tx) => {
      const cur = await this.repo.get(id, tx);
      if (!cur) throw E.serverNotFound(id);
      const next = await fn(cur, tx);
      if (!next || next === cur) return cur;
      changed = true;
      return this.repo.update({ ...next, updatedAt: this.ctx.now() }, tx);
    });
    if (changed) this.ctx.changed(KIND.server, 'updated', id, out.projectId);
    return out;
  }

  /**
   * Records the outcome of a task if it is still the server's current one (a delete may have
   * replaced it); resolves whether it was recorded.
   */
  async finish(id: string, task: ServerTask, patch: Partial<Server>): Promise<boolean> {
    let done = false;
    await this.mutate(id, (s) => {
      if (s.task?.id !== task.id) return undefined;
      done = true;
      return { ...s, ...patch, task: null };
    }).catch((e: unknown) => {
      if ((e as { code?: string }).code !== 'InstanceNotFound') throw e;
    });
    return done;
  }

  /** Sets a task on a server in one transaction after `check` approves the current state. */
  async startTask(id: string, task: ServerTask, taskState: string, check: (s: Server) => void, extra: Partial<Server> = {}): Promise<Server> {
    return this.mutate(id, (s) => {
      check(s);
      return { ...s, ...extra, task, taskState };
    });
  }

  all(where?: Parameters<Repo<Server>['list']>[0]): Promise<Server[]> {
    return this.repo.list(where);
  }

  /** Like `all`, for read-only paths (lists): deeply frozen records, possibly shared (no copy). */
  allShared(where?: Parameters<Repo<Server>['list']>[0]): Promise<readonly Server[]> {
    return this.repo.listShared(where);
  }
}
