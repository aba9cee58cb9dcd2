import { objectKey, splitKey, type Informer } from '../controllers/informer.js';
import { isNotFound, R, updateWithRetry, type Controller, type ControllerContext } from '../controllers/objects.js';
import { WorkQueue } from '../controllers/queue.js';
import type { ResourceType } from '../resources.js';
import type { KubeObject } from '../types.js';
import { countedKinds, quotaTerms, quotaUsage, usedStatus } from './quota.js';

/** Kinds with a shared informer here; quotas counting other kinds re-count every 10 s. */
const WATCHED = [R.pods, R.services, R.persistentvolumeclaims, R.configmaps, R.secrets, R.resourcequotas];
const RECOUNT_MS = 10_000;

/**
 * The ResourceQuota controller: keeps `status.hard` (a copy of `spec.hard`) and `status.used`
 * (the namespace's usage, `quota.ts`) of every quota current, re-counting a namespace's quotas
 * whenever a counted object there changes. Admission does not depend on it (it counts live).
 */
export function resourceQuotaController(ctx: ControllerContext): Controller {
  const informers = new Map<ResourceType, Informer>(WATCHED.map((r) => [r, ctx.informers.for(r)]));
  const quotaInf = informers.get(R.resourcequotas)!;
  const queue = new WorkQueue('resourcequota', sync, ctx.log);

  for (const [res, inf] of informers) {
    inf.addHandler((type, o) => {
      if (res === R.resourcequotas) {
        if (type !== 'DELETED') queue.add(objectKey(o));
        return;
      }
      for (const q of quotaInf.list(o.metadata.namespace)) queue.add(objectKey(q));
    });
  }

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const quota = quotaInf.get(namespace, name);
    if (!quota || quota.metadata.deletionTimestamp) return;
    const kinds = countedKinds(quotaTerms(quota).keys);
    const lists = new Map<ResourceType, readonly KubeObject[]>();
    let unwatched = false;
    for (const res of kinds) {
      const inf = informers.get(res);
      if (inf) lists.set(res, inf.list(namespace));
      else {
        unwatched = true;
        lists.set(res, (await ctx.api.list(res, namespace)).items);
      }
    }
    const used = usedStatus(quota, quotaUsage(quota, (res) => lists.get(res) ?? []));
    const hard = Object.fromEntries(Object.entries(quotaTerms(quota).hard).map(([k, v]) => [k, String(v)]));
    await updateWithRetry(
      ctx.api,
      R.resourcequotas,
      namespace,
      name,
      (cur) => {
        if (cur.metadata.uid !== quota.metadata.uid) return undefined;
        const next = { hard, used };
        if (JSON.stringify(cur.status) === JSON.stringify(next)) return undefined;
        return { ...cur, status: next };
      },
      'status',
    ).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
    if (unwatched) queue.addAfter(key, RECOUNT_MS);
  }

  return {
    name: 'resourcequota',
    queues: [queue],
    start() {
      for (const q of quotaInf.list()) queue.add(objectKey(q));
    },
    stop() {
      queue.stop();
    },
  };
}
