import { resourceForKind, type ResourceType } from '../resources.js';
import type { KubeObject, OwnerReference } from '../types.js';
import type { Informer } from './informer.js';
import { objectKey, splitKey } from './informer.js';
import { isConflict, isNotFound, updateWithRetry, type Controller, type ControllerContext } from './objects.js';
import { WorkQueue } from './queue.js';

const FOREGROUND = 'foregroundDeletion';

/**
 * Garbage collector over every kind the cluster serves, custom ones included (events excepted):
 * - Background: an object whose owners (by uid) are all gone is deleted; one that lost only
 *   some owners has the dangling references removed. "Gone" is confirmed with a live GET before
 *   deleting, so an owner the caches haven't seen yet is never mistaken for a missing one.
 * - Foreground: an owner with `deletionTimestamp` and the `foregroundDeletion` finalizer has its
 *   dependents deleted (with Foreground, so the cascade goes down); once no dependent with
 *   `blockOwnerDeletion: true` remains, the finalizer is removed and the registry drops it.
 * - Orphan is done by the registry at delete time.
 */
export function garbageCollector(ctx: ControllerContext): Controller {
  const informers = new Map<string, Informer>();
  /** uid → where the object lives. */
  const byUid = new Map<string, { res: ResourceType; key: string }>();
  /** owner uid → dependents (`<resId>|<key>`). */
  const dependents = new Map<string, Set<string>>();
  const attempt = new WorkQueue('garbagecollector', processDependent, ctx.log, 2);
  const owners = new WorkQueue('garbagecollector-foreground', processOwner, ctx.log, 2);

  /** Follows the kinds the cluster serves: custom kinds of CRDs join (and leave) at run time. */
  function syncKinds(): void {
    const now = new Map(ctx.kinds().filter((r) => r.resource !== 'events').map((r) => [resId(r), r]));
    for (const [id, res] of now) if (!informers.has(id)) watchKind(res);
    for (const [id, inf] of informers) {
      if (now.has(id)) continue;
      informers.delete(id);
      void ctx.informers.drop(inf.res);
    }
  }

  function watchKind(res: ResourceType): void {
    const inf = ctx.informers.for(res);
    informers.set(resId(res), inf);
    inf.addHandler((type, obj, old) => {
      const id = `${resId(res)}|${objectKey(obj)}`;
      const uid = obj.metadata.uid!;
      for (const r of old?.metadata.ownerReferences ?? []) dependents.get(r.uid)?.delete(id);
      if (type === 'DELETED') {
        if (byUid.get(uid)?.key === objectKey(obj)) byUid.delete(uid);
        for (const dep of dependents.get(uid) ?? []) attempt.add(dep);
        for (const r of obj.metadata.ownerReferences ?? []) {
          dependents.get(r.uid)?.delete(id);
          ownerChanged(r.uid);
        }
        return;
      }
      byUid.set(uid, { res, key: objectKey(obj) });
      const refs = obj.metadata.ownerReferences ?? [];
      for (const r of refs) {
        let set = dependents.get(r.uid);
        if (!set) dependents.set(r.uid, (set = new Set()));
        set.add(id);
        if (!byUid.has(r.uid)) attempt.add(id);
        ownerChanged(r.uid);
      }
      if (obj.metadata.deletionTimestamp && obj.metadata.finalizers?.includes(FOREGROUND)) owners.add(id);
    });
  }
  syncKinds();
  const unsubscribe = ctx.onKindsChange(syncKinds);

  function ownerChanged(uid: string): void {
    const where = byUid.get(uid);
    if (where) owners.add(`${resId(where.res)}|${where.key}`);
  }

  /** The kind and cached object of a dependent id; neither once the kind is no longer served. */
  function lookup(id: string): { res?: ResourceType; obj?: KubeObject } {
    const bar = id.indexOf('|');
    const inf = informers.get(id.slice(0, bar));
    if (!inf) return {};
    const { namespace, name } = splitKey(id.slice(bar + 1));
    return { res: inf.res, obj: inf.get(namespace, name) };
  }

  /** Whether the owner named by `ref` exists with that uid (live GET when the caches don't know it). */
  async function ownerExists(dep: KubeObject, ref: OwnerReference): Promise<boolean> {
    if (byUid.has(ref.uid)) return true;
    const res = resourceForKind(ref.apiVersion, ref.kind, ctx.kinds());
    if (!res) return true; // A kind we don't serve: never collect on a guess.
    try {
      const owner = await ctx.api.get(res, res.namespaced ? dep.metadata.namespace : undefined, ref.name);
      return owner.metadata.uid === ref.uid;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async function processDependent(id: string): Promise<void> {
    const { res, obj: cached } = lookup(id);
    if (!res || !cached || cached.metadata.deletionTimestamp || !cached.metadata.ownerReferences?.length) return;
    // The caches of different types advance independently (an Orphan delete strips references
    // before the owner's DELETED event arrives): decide on the live object.
    let obj: KubeObject;
    try {
      obj = await ctx.api.get(res, cached.metadata.namespace, cached.metadata.name!);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0 || obj.metadata.deletionTimestamp || obj.metadata.uid !== cached.metadata.uid) return;
    const gone: string[] = [];
    for (const r of refs) if (!(await ownerExists(obj, r))) gone.push(r.uid);
    if (gone.length === 0) return;
    if (gone.length === refs.length) {
      ctx.log(`garbage collector: deleting ${res.kind} ${objectKey(obj)} (owner gone)`);
      try {
        await ctx.api.delete(res, obj.metadata.namespace, obj.metadata.name!, {
          propagationPolicy: 'Background',
          preconditions: { uid: obj.metadata.uid!, resourceVersion: obj.metadata.resourceVersion! },
        });
      } catch (err) {
        if (isConflict(err)) attempt.addAfter(id, 10);
        else if (!isNotFound(err)) throw err;
      }
      return;
    }
    await updateWithRetry(ctx.api, res, obj.metadata.namespace, obj.metadata.name!, (cur) => {
      if (cur.metadata.uid !== obj.metadata.uid) return undefined;
      const kept = (cur.metadata.ownerReferences ?? []).filter((r) => !gone.includes(r.uid));
      return { ...cur, metadata: { ...cur.metadata, ownerReferences: kept } };
    }).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
  }

  async function processOwner(id: string): Promise<void> {
    const { res, obj } = lookup(id);
    if (!res || !obj || !obj.metadata.deletionTimestamp || !obj.metadata.finalizers?.includes(FOREGROUND)) return;
    const uid = obj.metadata.uid!;
    let blocking = 0;
    for (const depId of [...(dependents.get(uid) ?? [])]) {
      const { res: depRes, obj: dep } = lookup(depId);
      if (!depRes || !dep) continue;
      const ref = dep.metadata.ownerReferences?.find((r) => r.uid === uid);
      if (!ref) continue;
      if (ref.blockOwnerDeletion) blocking++;
      if (dep.metadata.deletionTimestamp) continue;
      try {
        await ctx.api.delete(depRes, dep.metadata.namespace, dep.metadata.name!, { propagationPolicy: 'Foreground', preconditions: { uid: dep.metadata.uid! } });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
    }
    if (blocking > 0) return; // Dependents' DELETED events bring us back.
    await updateWithRetry(ctx.api, res, obj.metadata.namespace, obj.metadata.name!, (cur) => {
      if (cur.metadata.uid !== uid || !cur.metadata.finalizers?.includes(FOREGROUND)) return undefined;
      return { ...cur, metadata: { ...cur.metadata, finalizers: cur.metadata.finalizers.filter((f) => f !== FOREGROUND) } };
    }).catch((err) => {
      if (!isNotFound(err)) throw err;
    });
  }

  return {
    name: 'garbagecollector',
    queues: [attempt, owners],
    start() {
      for (const inf of informers.values()) {
        for (const obj of inf.list()) {
          const id = `${resId(inf.res)}|${objectKey(obj)}`;
          if (obj.metadata.ownerReferences?.some((r) => !byUid.has(r.uid))) attempt.add(id);
          if (obj.metadata.deletionTimestamp && obj.metadata.finalizers?.includes(FOREGROUND)) owners.add(id);
        }
      }
    },
    stop() {
      unsubscribe();
      attempt.stop();
      owners.stop();
    },
  };
}

function resId(res: ResourceType): string {
  return `${res.group}/${res.resource}`;
}
