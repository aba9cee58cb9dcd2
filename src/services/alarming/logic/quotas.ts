import { StratusError } from '../../../core/errors.js';
import type { StoreOps } from '../../../store/index.js';
import type { AlarmingContext } from './context.js';
import type { Alarm } from './models.js';

/** The project's alarm quota (-1: unlimited, Aodh's default). */
export async function alarmQuota(ctx: AlarmingContext, projectId: string, tx?: StoreOps): Promise<number> {
  return (await ctx.quotas.get(projectId, tx))?.alarms ?? -1;
}

export async function setAlarmQuota(ctx: AlarmingContext, projectId: string, limit: number): Promise<void> {
  const rec = { id: projectId, alarms: limit };
  if (await ctx.quotas.get(projectId)) await ctx.quotas.update(rec);
  else await ctx.quotas.create(rec);
}

/** 403 as Aodh when the project already holds its quota of alarms. */
export async function ensureQuota(ctx: AlarmingContext, tx: StoreOps, a: Alarm): Promise<void> {
  const limit = await alarmQuota(ctx, a.projectId, tx);
  if (limit < 0) return;
  if ((await ctx.alarms.count({ projectId: a.projectId }, tx)) >= limit) {
    throw new StratusError('Forbidden', `Alarm quota exceeded for user ${a.userId} on project ${a.projectId}`, 'OverQuota');
  }
}
