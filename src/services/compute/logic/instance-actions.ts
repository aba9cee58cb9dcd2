import type { StoreOps } from '../../../store/index.js';
import type { ComputeContext } from './context.js';
import { Repo } from './context.js';
import { E } from './errors.js';
import { KIND, type Caller, type InstanceAction } from './models.js';

/**
 * os-instance-actions: one record per request that changed a server (`create`, `stop`,
 * `reboot`, …), with the events the reconciler adds as it works (`compute_stop_instance`).
 */
export class InstanceActions {
  readonly repo: Repo<InstanceAction>;

  constructor(private readonly ctx: ComputeContext) {
    this.repo = new Repo<InstanceAction>(ctx, KIND.action, (id) => E.actionNotFound(id.split('/')[1] ?? id));
  }

  async record(serverId: string, action: string, caller: Caller, tx?: StoreOps): Promise<void> {
    const a: InstanceAction = {
      id: `${serverId}/${caller.requestId}`,
      serverId,
      action,
      requestId: caller.requestId,
      userId: caller.userId,
      projectId: caller.projectId,
      startTime: this.ctx.now(),
      message: null,
      events: [],
    };
    if (await this.repo.get(a.id, tx)) return;
    await this.repo.create(a, tx);
  }

  /** Adds a finished event to the action of `requestId`; a missing action is ignored. */
  async event(serverId: string, requestId: string, event: string, startTime: number, error?: string): Promise<void> {
    await this.ctx.store.tx(async (tx) => {
      const a = await this.repo.get(`${serverId}/${requestId}`, tx);
      if (!a) return;
      a.events.push({ event, startTime, finishTime: this.ctx.now(), result: error ? 'Error' : 'Success', traceback: error ?? null });
      if (error) a.message = 'Error';
      await this.repo.update(a, tx);
    });
  }

  async list(serverId: string): Promise<InstanceAction[]> {
    return (await this.repo.list({ serverId })).sort((a, b) => b.startTime - a.startTime);
  }

  async get(serverId: string, requestId: string): Promise<InstanceAction> {
    const a = await this.repo.get(`${serverId}/${requestId}`);
    if (!a) throw E.actionNotFound(requestId);
    return a;
  }

  /** Drops the history of a deleted server (Nova keeps it for soft-deleted ones only). */
  async forget(serverId: string): Promise<void> {
    await this.repo.deleteWhere({ serverId });
  }
}
