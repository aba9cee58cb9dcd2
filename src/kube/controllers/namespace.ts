import { qualifiedResource } from '../resources.js';
import { kubeTime, type KubeObject } from '../types.js';
import { objectKey } from './informer.js';
import { isNotFound, jsonEqual, R, setCondition, status, updateWithRetry, type Condition, type Controller, type ControllerContext, type Json } from './objects.js';
import { WorkQueue } from './queue.js';

/**
 * Namespace lifecycle: a namespace with `deletionTimestamp` (phase Terminating) has every
 * namespaced object deleted (all resource types of the table, pods gracefully, others in the
 * background), is polled until nothing is left (condition NamespaceContentRemaining meanwhile),
 * then finalized: `spec.finalizers` emptied through the `finalize` subresource, after which the
 * registry removes it.
 */
export function namespaceController(ctx: ControllerContext): Controller {
  const nsInf = ctx.informers.for(R.namespaces);
  const queue = new WorkQueue('namespace', sync, ctx.log);
  /** Namespaced kinds, custom ones included; one entry per group/resource (a CRD may serve several versions). */
  const namespaced = () => {
    const seen = new Set<string>();
    return ctx.kinds().filter((r) => r.namespaced && r.verbs.includes('deletecollection') && !seen.has(`${r.group}/${r.resource}`) && seen.add(`${r.group}/${r.resource}`));
  };

  nsInf.addHandler((_t, ns) => {
    if (ns.metadata.deletionTimestamp) queue.add(objectKey(ns));
  });

  async function sync(name: string): Promise<void> {
    const ns = nsInf.get(undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    const remaining: string[] = [];
    let total = 0;
    for (const res of namespaced()) {
      const list = await ctx.api.list(res, name);
      const live = list.items.filter((o) => o.metadata.namespace === name);
      if (live.length === 0) continue;
      remaining.push(`${qualifiedResource(res)} has ${live.length} resource instances`);
      total += live.length;
      if (live.some((o) => !o.metadata.deletionTimestamp)) {
        await ctx.api.deleteCollection(res, name, { propagationPolicy: 'Background' }).catch((err: Error) => ctx.log(`namespace ${name}: deleting ${res.resource}: ${err.message}`));
      }
    }
    if (total > 0) {
      await setContentCondition(ns, remaining);
      // Graceful pods and finalizers take their time: look again soon (no watch on every type).
      queue.addAfter(name, 250);
      return;
    }
    try {
      await updateWithRetry(
        ctx.api,
        R.namespaces,
        undefined,
        name,
        (cur) => {
          const fins = ((cur.spec as Json | undefined)?.finalizers as string[] | undefined) ?? [];
          if (!fins.includes('kubernetes')) return undefined;
          return { ...cur, spec: { ...((cur.spec as Json) ?? {}), finalizers: fins.filter((f) => f !== 'kubernetes') } };
        },
        'finalize',
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function setContentCondition(ns: KubeObject, remaining: string[]): Promise<void> {
    const now = kubeTime();
    const cond: Condition = { type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${remaining.join(', ')}`, lastTransitionTime: now };
    const prev = ((status(ns).conditions as Condition[] | undefined) ?? []).find((c) => c.type === cond.type);
    if (prev && prev.message === cond.message) return;
    await updateWithRetry(
      ctx.api,
      R.namespaces,
      undefined,
      ns.metadata.name!,
      (cur) => {
        const conds = setCondition((status(cur).conditions as Condition[] | undefined) ?? [], cond);
        if (jsonEqual(conds, status(cur).conditions)) return undefined;
        return { ...cur, status: { ...status(cur), conditions: conds } };
      },
      'status',
    ).catch(() => undefined);
  }

  return {
    name: 'namespace',
    queues: [queue],
    start() {
      for (const ns of nsInf.list()) if (ns.metadata.deletionTimestamp) queue.add(objectKey(ns));
    },
    stop() {
      queue.stop();
    },
  };
}
