import type { KubeApi, Watch } from '../api.js';
import { KubeError } from '../errors.js';
import { findResource, type ResourceCatalog, type ResourceType } from '../resources.js';
import { kubeTime, type KubeObject, type WatchEvent } from '../types.js';
import { CLEANUP_FINALIZER, namesOf, specOf } from './crd.js';
import { customTypes } from './custom.js';
import { isObject, type Json } from '../apiserver/registry/util.js';

/**
 * The CRD controller (upstream's naming, establishing and finalizer controllers in one):
 * - names: a CRD whose plural, kind, listKind or short names are already held by another CRD
 *   of the same group gets `NamesAccepted=False` (PluralConflict, KindConflict, …) and is not
 *   served; otherwise `status.acceptedNames` are set, its kinds join the cluster's catalog, and
 *   then `NamesAccepted=True` and `Established=True` are written (so once `kubectl wait
 *   --for=condition=Established` returns, every path serves the kind);
 * - deletion: a CRD marked for deletion (the registry added the cleanup finalizer) refuses new
 *   objects, has every object of its kind deleted (objects with finalizers are waited for),
 *   then loses the finalizer and is removed, and its kinds leave the catalog;
 * - namespaces: objects of custom kinds in a terminating or deleted namespace are deleted (the
 *   namespace controller only knows the static table).
 * On start the stored CRDs are reconciled before `ready` resolves: a restarted cluster serves
 * its custom kinds again before it listens.
 */

const CRDS = findResource('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
const NAMESPACES = findResource('', 'v1', 'namespaces')!;

function codeOf(e: unknown): number | undefined {
  return e instanceof KubeError ? e.code : undefined;
}

export interface CrdController {
  /** Resolves once the stored CRDs have been reconciled and the watches run. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export interface CrdControllerOptions {
  api: KubeApi;
  catalog: ResourceCatalog;
  log?: (line: string) => void;
  /** Delay before looking again at a terminating CRD whose objects are still going away (default 250 ms). */
  recheckMs?: number;
}

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

/** Sets a condition; keeps `lastTransitionTime` when the status does not change. */
function setCondition(status: Json, c: Condition): void {
  const list = (Array.isArray(status.conditions) ? status.conditions : []).filter(isObject);
  const old = list.find((x) => x.type === c.type);
  const next: Json = { ...c, lastTransitionTime: old && old.status === c.status && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : kubeTime() };
  status.conditions = old ? list.map((x) => (x === old ? next : x)) : [...list, next];
}

export function startCrdController(opts: CrdControllerOptions): CrdController {
  const { api, catalog } = opts;
  const log = opts.log ?? (() => undefined);
  const recheckMs = opts.recheckMs ?? 250;
  const terminating = new Set<string>();
  /** CRD name → the spec its installed types were built from. */
  const installed = new Map<string, string>();
  const pending = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  const watches: Watch[] = [];
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;

  function enqueue(name: string): Promise<void> {
    if (stopped || pending.has(name)) return chain;
    pending.add(name);
    chain = chain
      .then(() => {
        pending.delete(name);
        return stopped ? undefined : reconcile(name);
      })
      .catch((e: Error) => {
        if (stopped) return;
        log(`crd ${name}: ${e.message}`);
        later(name);
      });
    return chain;
  }

  function later(name: string): void {
    if (stopped) return;
    const t = setTimeout(() => {
      timers.delete(t);
      void enqueue(name);
    }, recheckMs);
    timers.add(t);
  }

  function install(crd: KubeObject): void {
    const name = crd.metadata.name!;
    const sig = JSON.stringify(crd.spec);
    if (installed.get(name) === sig) return;
    installed.set(name, sig);
    catalog.set(name, customTypes(crd, () => terminating.has(name)));
  }

  function uninstall(name: string): void {
    installed.delete(name);
    terminating.delete(name);
    catalog.set(name, []);
  }

  /** Which names of `crd` another CRD of the group already holds (accepted names or served kinds). */
  async function conflict(crd: KubeObject): Promise<{ reason: string; message: string } | undefined> {
    const mine = namesOf(crd);
    const group = specOf(crd).group;
    const all = (await api.list(CRDS, undefined)).items;
    for (const other of all) {
      if (other.metadata.name === crd.metadata.name || specOf(other).group !== group) continue;
      const acc = isObject(other.status) && isObject(other.status.acceptedNames) ? other.status.acceptedNames : {};
      const held = installed.has(other.metadata.name!) ? namesOf(other) : { plural: String(acc.plural ?? ''), kind: String(acc.kind ?? ''), listKind: String(acc.listKind ?? ''), shortNames: Array.isArray(acc.shortNames) ? (acc.shortNames as string[]) : [] };
      if (!held.plural && !held.kind) continue;
      if (held.plural === mine.plural) return { reason: 'PluralConflict', message: `"${mine.plural}" is already in use` };
      if (held.kind === mine.kind) return { reason: 'KindConflict', message: `"${mine.kind}" is already in use` };
      if (held.listKind && held.listKind === mine.listKind) return { reason: 'ListKindConflict', message: `"${mine.listKind}" is already in use` };
      const shared = mine.shortNames.filter((s) => held.shortNames.includes(s) || s === held.plural);
      if (shared.length) return { reason: 'ShortNamesConflict', message: `"${shared.join('", "')}" is already in use` };
    }
    return undefined;
  }

  async function writeStatus(crd: KubeObject, mutate: (status: Json) => void): Promise<void> {
    const next = structuredClone(crd);
    const status = isObject(next.status) ? next.status : (next.status = {});
    mutate(status);
    if (JSON.stringify(status) === JSON.stringify(crd.status)) return;
    await api.update(CRDS, undefined, crd.metadata.name!, next, { subresource: 'status' });
  }

  async function reconcile(name: string): Promise<void> {
    let crd: KubeObject;
    try {
      crd = await api.get(CRDS, undefined, name);
    } catch (e) {
      if (codeOf(e) !== 404) throw e;
      uninstall(name);
      return;
    }
    if (crd.metadata.deletionTimestamp) return cleanup(crd);
    const clash = await conflict(crd);
    const names = namesOf(crd);
    if (clash) {
      if (installed.has(name)) uninstall(name);
      await writeStatus(crd, (s) => {
        setCondition(s, { type: 'NamesAccepted', status: 'False', ...clash });
        setCondition(s, { type: 'Established', status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' });
      });
      return;
    }
    install(crd);
    await writeStatus(crd, (s) => {
      const accepted: Json = { plural: names.plural, singular: names.singular, kind: names.kind, listKind: names.listKind };
      if (names.shortNames.length) accepted.shortNames = names.shortNames;
      if (names.categories.length) accepted.categories = names.categories;
      s.acceptedNames = accepted;
      setCondition(s, { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
      setCondition(s, { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' });
    });
  }

  /** Deletes every object of the kind, then releases the CRD. */
  async function cleanup(crd: KubeObject): Promise<void> {
    const name = crd.metadata.name!;
    terminating.add(name);
    const res: ResourceType | undefined = catalog.owned(name)?.[0] ?? customTypes(crd, () => true)[0];
    if (res) {
      const left = (await api.list(res, undefined)).items;
      if (left.length) {
        await writeStatus(crd, (s) => setCondition(s, { type: 'Terminating', status: 'True', reason: 'InstanceDeletionInProgress', message: 'CustomResource deletion is in progress' }));
        if (left.some((o) => !o.metadata.deletionTimestamp)) await api.deleteCollection(res, undefined, { propagationPolicy: 'Background' });
        later(name);
        return;
      }
    }
    const fins = (crd.metadata.finalizers ?? []).filter((f) => f !== CLEANUP_FINALIZER);
    if (fins.length !== (crd.metadata.finalizers ?? []).length) {
      const next = structuredClone(crd);
      next.metadata.finalizers = fins;
      try {
        await api.update(CRDS, undefined, name, next);
      } catch (e) {
        if (codeOf(e) !== 404) throw e;
      }
    }
    if (fins.length === 0) uninstall(name);
  }

  /** Objects of custom kinds in a namespace that is going away. */
  async function namespaceGone(ns: string): Promise<void> {
    const seen = new Set<string>();
    for (const r of catalog.all()) {
      if (!r.custom || !r.namespaced || seen.has(r.custom.crd)) continue;
      seen.add(r.custom.crd);
      await api.deleteCollection(r, ns, { propagationPolicy: 'Background' }).catch((e: Error) => log(`crd ${r.custom?.crd}: deleting objects in namespace ${ns}: ${e.message}`));
    }
  }

  async function run(): Promise<void> {
    const list = await api.list(CRDS, undefined);
    const items = [...list.items].sort((a, b) => String(a.metadata.creationTimestamp).localeCompare(String(b.metadata.creationTimestamp)));
    for (const crd of items) await enqueue(crd.metadata.name!);
    const rv = list.metadata.resourceVersion;
    watches.push(
      await api.watch(CRDS, undefined, { resourceVersion: rv }, (e: WatchEvent) => {
        if (e.type === 'BOOKMARK' || e.type === 'ERROR') return;
        void enqueue(e.object.metadata.name!);
        // A CRD going away can free names another one is waiting for.
        if (e.type === 'DELETED') {
          void api
            .list(CRDS, undefined)
            .then((l) => l.items.forEach((o) => !installed.has(o.metadata.name!) && void enqueue(o.metadata.name!)))
            .catch((err: Error) => log(`crd: relisting: ${err.message}`));
        }
      }),
    );
    const nsList = await api.list(NAMESPACES, undefined);
    watches.push(
      await api.watch(NAMESPACES, undefined, { resourceVersion: nsList.metadata.resourceVersion }, (e: WatchEvent) => {
        if (e.type === 'DELETED' || (e.type === 'MODIFIED' && e.object.metadata.deletionTimestamp)) {
          chain = chain.then(() => namespaceGone(e.object.metadata.name!)).catch((err: Error) => log(`crd: namespace ${e.object.metadata.name}: ${err.message}`));
        }
      }),
    );
  }

  const ready = run();
  return {
    ready,
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const w of watches.splice(0)) w.stop();
      await chain.catch(() => undefined);
    },
  };
}
