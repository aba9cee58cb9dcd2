import { randomUUID } from 'node:crypto';
import type { DeleteOptions, GetOptions, KubeApi, ListOptions, PatchOptions, PatchType, Watch, WatchOptions, WriteOptions } from '../api.js';
import { KubeError } from '../errors.js';
import { patchObject } from '../patch/index.js';
import { RESOURCES, storeKey, storePrefix, type ResourceType } from '../resources.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { copy, KubeStore, type Entry } from '../store/store.js';
import { kubeTime, type KubeList, type KubeObject, type Status, type WatchEvent } from '../types.js';
import { ClusterIpAllocator, NodePortAllocator } from './registry/allocators.js';
import { applyDefaults, qosClass } from './registry/defaults.js';
import { bindingRequest, bindPod } from './registry/binding.js';
import { checkDelete, deletionFinished, markDeleted, orphaned } from './registry/delete.js';
import { budgetForEviction } from './registry/eviction.js';
import { listEntries, toList } from './registry/list.js';
import { bodyFor, hasScale, initialStatus, scaleOf } from './registry/objects.js';
import { allocateService, heldBy, type ServiceAllocation } from './registry/services.js';
import { checkStrict } from './registry/strict.js';
import { generateName, isObject, jsonEquals, obj } from './registry/util.js';
import { validate } from './registry/validation.js';
import { RegistryWatch } from './registry/watch.js';
import { admitCreate, admitUpdate, asServed, customScaleOf, customSetReplicas, CRDS, checkCustomFields, refuseStrategic } from './registry/custom.js';
import { admitMutate, admitValidate, type AdmissionContext } from '../storage/admission.js';

export { bootstrapCluster } from './registry/bootstrap.js';

export interface RegistryOptions {
  /** `':memory:'` for a memory-only store; else the directory of `kube.db`. */
  dataDir: string;
  /** Default 10.43.0.0/16. */
  serviceCidr?: string;
  /** Default [30000, 32767]. */
  nodePortRange?: [number, number];
  /** Events of history kept for watch resumption (default 10,000). */
  historySize?: number;
  log?: (msg: string) => void;
  /** Interval of BOOKMARK events for watches that allow them (default 60 s). */
  bookmarkIntervalMs?: number;
}

export interface Registry extends KubeApi {
  close(): Promise<void>;
  readonly serviceCidr: string;
  /**
   * `list` without the per-item copy: the items are the store's deep-frozen objects (mutating
   * them throws). For callers that only read or serialize (the HTTP layer, informer caches);
   * ~10x faster on big lists.
   */
  listReadOnly(res: ResourceType, namespace: string | undefined, opts?: ListOptions): Promise<KubeList>;
}

export async function openRegistry(opts: RegistryOptions): Promise<Registry> {
  return new KubeRegistry(opts);
}

const SERVICES = RESOURCES.find((r) => r.resource === 'services')!;
const NAMESPACES = RESOURCES.find((r) => r.resource === 'namespaces')!;
const PDBS = RESOURCES.find((r) => r.resource === 'poddisruptionbudgets')!;
const PODS = RESOURCES.find((r) => r.resource === 'pods')!;
/** What pods/binding and pods/eviction return (a fresh object per call: callers may mutate it). */
const created = (): KubeObject => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }) as unknown as KubeObject;

/**
 * The API server's semantics over the revisioned store (see `KubeApi`). Every method does its
 * work synchronously once called (the store is synchronous), so two calls never interleave and
 * check-then-write sequences (name clashes, allocations, preconditions) need no locks.
 */
class KubeRegistry implements Registry {
  readonly serviceCidr: string;
  private readonly store: KubeStore;
  private readonly ips: ClusterIpAllocator;
  private readonly ports: NodePortAllocator;
  private readonly watches = new Set<RegistryWatch>();
  private readonly log: (msg: string) => void;
  private readonly bookmarkIntervalMs: number;
  /** What admission plugins read: the store as it is at this instant. */
  private readonly admission: AdmissionContext = {
    list: (res, namespace) => this.store.list(storePrefix(res, res.namespaced ? namespace : undefined)).map((e) => e.obj as KubeObject),
    get: (res, namespace, name) => this.store.get(storeKey(res, res.namespaced ? namespace : undefined, name))?.obj as KubeObject | undefined,
  };

  constructor(opts: RegistryOptions) {
    this.serviceCidr = opts.serviceCidr ?? '10.43.0.0/16';
    const [min, max] = opts.nodePortRange ?? [30000, 32767];
    this.ips = new ClusterIpAllocator(this.serviceCidr);
    this.ports = new NodePortAllocator(min, max);
    this.log = opts.log ?? (() => undefined);
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 60_000;
    this.store = KubeStore.open(opts.dataDir, { historySize: opts.historySize });
    for (const e of this.store.list(storePrefix(SERVICES))) {
      const held = heldBy(e.obj as KubeObject);
      for (const ip of held.ips) if (this.ips.claim(ip) !== 'ok') this.log(`service ${e.key}: cluster IP ${ip} is duplicated or outside ${this.serviceCidr}`);
      for (const p of held.ports) if (this.ports.claim(p) !== 'ok') this.log(`service ${e.key}: node port ${p} is duplicated or outside ${min}-${max}`);
    }
  }

  revision(): number {
    return this.store.revision();
  }

  async close(): Promise<void> {
    for (const w of [...this.watches]) w.stop();
    this.store.close();
  }

  // ------------------------------------------------------------------------------------------
  // reads

  async get(res: ResourceType, namespace: string | undefined, name: string, opts: GetOptions = {}): Promise<KubeObject> {
    const cur = this.load(res, namespace, name);
    switch (opts.subresource ?? '') {
      case '':
      case 'status':
        return asServed(res, copy(cur));
      case 'scale':
        if (!hasScale(res)) break;
        return res.custom ? customScaleOf(res, cur.obj) : scaleOf(cur.obj);
    }
    throw KubeError.badRequest(`${res.resource} has no "${opts.subresource}" subresource to get`);
  }

  async list(res: ResourceType, namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList> {
    const r = this.listRaw(res, namespace, opts);
    return toList(res, r.items.map((e) => asServed(res, copy(e))), r);
  }

  async listReadOnly(res: ResourceType, namespace: string | undefined, opts: ListOptions = {}): Promise<KubeList> {
    const r = this.listRaw(res, namespace, opts);
    return toList(res, r.items.map((e) => asServed(res, e.obj as KubeObject)), r);
  }

  private listRaw(res: ResourceType, namespace: string | undefined, opts: ListOptions) {
    const { matches, selective } = this.matcher(opts, res);
    return listEntries(this.store, storePrefix(res, res.namespaced ? namespace : undefined), opts, (e) => matches(e.obj), selective);
  }

  async watch(res: ResourceType, namespace: string | undefined, opts: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<Watch> {
    const { matches } = this.matcher(opts, res);
    const w: RegistryWatch = new RegistryWatch({
      store: this.store,
      res,
      prefix: storePrefix(res, res.namespaced ? namespace : undefined),
      matches,
      opts,
      bookmarkIntervalMs: this.bookmarkIntervalMs,
      onEvent: res.custom ? (e) => onEvent(e.type === 'BOOKMARK' || e.type === 'ERROR' ? e : { ...e, object: asServed(res, e.object as KubeObject) }) : onEvent,
      log: this.log,
      onDone: (x) => this.watches.delete(x),
    });
    w.start();
    this.watches.add(w);
    return w;
  }

  private matcher(opts: ListOptions, res?: ResourceType): { matches: (o: Readonly<KubeObject>) => boolean; selective: boolean } {
    const labels = opts.labelSelector ? parseLabelSelector(opts.labelSelector) : undefined;
    const fields = opts.fieldSelector ? parseFieldSelector(opts.fieldSelector) : undefined;
    if (res && fields) checkCustomFields(res, fields);
    const hasLabels = !!labels && labels.requirements.length > 0;
    const hasFields = !!fields && fields.requirements.length > 0;
    return {
      matches: (o) => (!hasLabels || matchesLabels(labels!, o.metadata.labels)) && (!hasFields || matchesFields(fields!, o as KubeObject)),
      selective: hasLabels || hasFields,
    };
  }

  // ------------------------------------------------------------------------------------------
  // create

  async create(res: ResourceType, namespace: string | undefined, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    return this.createSync(res, namespace, body, opts);
  }

  private createSync(res: ResourceType, namespace: string | undefined, body: KubeObject, opts: WriteOptions): KubeObject {
    if (opts.subresource === 'binding' && res.resource === 'pods') return this.bind(namespace, body, opts);
    if (opts.subresource === 'eviction' && res.resource === 'pods') return this.evict(namespace, body, opts);
    if (opts.subresource) throw KubeError.methodNotAllowed(`${res.resource}/${opts.subresource} does not accept POST`);
    const ns = this.namespaceOf(res, namespace);
    const o = bodyFor(res, ns, body);
    if (opts.fieldValidation === 'Strict' && !res.custom) checkStrict(res, o);
    if (ns !== undefined) this.checkNamespaceWritable(res, ns, o.metadata.name ?? o.metadata.generateName ?? '');
    const meta = o.metadata;
    for (const f of ['uid', 'resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink']) delete (meta as Record<string, unknown>)[f];
    meta.uid = randomUUID();
    meta.creationTimestamp = kubeTime();
    if (res.generation) meta.generation = 1;
    else delete meta.generation;
    const generated = !meta.name && typeof meta.generateName === 'string' && meta.generateName !== '';
    for (let attempt = 0; ; attempt++) {
      if (generated) meta.name = generateName(meta.generateName!);
      const key = storeKey(res, ns, meta.name ?? '');
      if (generated && attempt < 8 && this.store.get(key)) continue;
      const candidate = structuredClone(o);
      if (res.custom || res === CRDS) admitCreate(res, candidate, opts);
      else {
        applyDefaults(candidate);
        admitMutate(this.admission, res, candidate);
        initialStatus(candidate, () => qosClass(isObject(candidate.spec) ? candidate.spec : {}));
        validate(res, candidate);
        admitValidate(this.admission, res, candidate);
      }
      if (this.store.get(key)) throw KubeError.alreadyExists(res, candidate.metadata.name!);
      const alloc = res === SERVICES ? allocateService(res, candidate, undefined, this.ips, this.ports) : undefined;
      if (opts.dryRun) {
        alloc?.rollback();
        return candidate;
      }
      return this.commit(alloc, () => copy(this.store.create(key, candidate)));
    }
  }

  /** Runs the store write; on failure returns the allocator claims, on success the releases. */
  private commit<T>(alloc: ServiceAllocation | undefined, write: () => T): T {
    let out: T;
    try {
      out = write();
    } catch (e) {
      alloc?.rollback();
      throw e;
    }
    alloc?.commit();
    return out;
  }

  private namespaceOf(res: ResourceType, namespace: string | undefined): string | undefined {
    if (!res.namespaced) return undefined;
    if (!namespace) throw KubeError.badRequest(`${res.resource} are namespaced: name a namespace (the URL needs /namespaces/<ns>/)`);
    return namespace;
  }

  private checkNamespaceWritable(res: ResourceType, ns: string, name: string): void {
    const entry = this.store.get(storeKey(NAMESPACES, undefined, ns));
    if (!entry) throw new KubeError(404, 'NotFound', `namespaces "${ns}" not found`, { name: ns, kind: 'namespaces' });
    if (entry.obj.metadata.deletionTimestamp || (isObject(entry.obj.status) && entry.obj.status.phase === 'Terminating')) {
      throw KubeError.forbidden(res, name, `unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  // ------------------------------------------------------------------------------------------
  // update and patch

  async update(res: ResourceType, namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    return this.updateSync(res, namespace, name, body, opts);
  }

  private updateSync(res: ResourceType, namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions): KubeObject {
    const sub = opts.subresource ?? '';
    if (sub === 'scale' && hasScale(res)) return this.updateScale(res, namespace, name, body, opts);
    const allowed = sub === '' || (sub === 'status' && res.hasStatus) || (sub === 'finalize' && res === NAMESPACES);
    if (!allowed) throw KubeError.methodNotAllowed(`${res.resource}/${sub} cannot be updated`);
    const ns = this.namespaceOf(res, namespace);
    const cur = this.load(res, ns, name);
    const o = bodyFor(res, ns, body, name);
    if (opts.fieldValidation === 'Strict' && !res.custom) checkStrict(res, o);
    this.precondition(res, cur, o.metadata.resourceVersion);
    let next: KubeObject;
    let alloc: ServiceAllocation | undefined;
    if (sub === 'status') {
      next = copy(cur);
      next.status = o.status;
      if (res.custom) admitUpdate(res, next, cur.obj as KubeObject, opts);
    } else if (sub === 'finalize') {
      next = copy(cur);
      const fin = isObject(o.spec) ? o.spec.finalizers : undefined;
      if (fin !== undefined && (!Array.isArray(fin) || fin.some((f) => typeof f !== 'string'))) {
        throw KubeError.invalid(res, name, [{ field: 'spec.finalizers', message: 'Invalid value: must be a list of strings' }]);
      }
      obj(next, 'spec').finalizers = fin ?? [];
    } else {
      next = o;
      const was = cur.obj.metadata;
      const meta = next.metadata;
      meta.uid = was.uid;
      meta.creationTimestamp = was.creationTimestamp;
      meta.generation = was.generation;
      meta.deletionTimestamp = was.deletionTimestamp;
      meta.deletionGracePeriodSeconds = was.deletionGracePeriodSeconds;
      for (const k of ['generation', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) if (meta[k] === undefined) delete meta[k];
      if (res.hasStatus) {
        if (cur.obj.status === undefined) delete next.status;
        else next.status = copy(cur).status;
      }
      if (res === NAMESPACES) obj(next, 'spec').finalizers = isObject(cur.obj.spec) ? structuredClone(cur.obj.spec.finalizers) : ['kubernetes'];
      if (was.deletionTimestamp) {
        const added = (meta.finalizers ?? []).filter((f) => !(was.finalizers ?? []).includes(f));
        if (added.length) {
          throw KubeError.invalid(res, name, [{ field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"${added.join('", "')}"}`, reason: 'FieldValueForbidden' }]);
        }
      }
      if (res.custom || res === CRDS) admitUpdate(res, next, cur.obj as KubeObject, opts);
      else {
        applyDefaults(next);
        admitMutate(this.admission, res, next, cur.obj as KubeObject);
        validate(res, next, cur.obj as KubeObject);
        admitValidate(this.admission, res, next, cur.obj as KubeObject);
      }
      const changed = res.custom ? res.custom.generationChanged(next, cur.obj as KubeObject) : !jsonEquals(next.spec, cur.obj.spec);
      if (res.generation && changed) meta.generation = (was.generation ?? 1) + 1;
      if (res === SERVICES) alloc = allocateService(res, next, cur.obj as KubeObject, this.ips, this.ports);
    }
    if (opts.dryRun) {
      alloc?.rollback();
      return next;
    }
    next.metadata.resourceVersion = cur.obj.metadata.resourceVersion;
    if (jsonEquals(next, cur.obj)) {
      alloc?.rollback();
      return asServed(res, copy(cur));
    }
    if (deletionFinished(res, next)) return this.commit(alloc, () => this.remove(res, cur, next));
    return this.commit(alloc, () => copy(this.store.update(cur.key, next)));
  }

  private precondition(res: ResourceType, cur: Entry, rv: string | undefined): void {
    if (rv !== undefined && rv !== '' && rv !== cur.obj.metadata.resourceVersion) throw KubeError.conflict(res, cur.obj.metadata.name ?? '');
  }

  private updateScale(res: ResourceType, namespace: string | undefined, name: string, body: KubeObject, opts: WriteOptions): KubeObject {
    const ns = this.namespaceOf(res, namespace);
    const cur = this.load(res, ns, name);
    if (!isObject(body)) throw KubeError.badRequest('the request body must be an autoscaling/v1 Scale');
    const scaleRes = { ...res, kind: 'Scale', group: 'autoscaling' };
    const replicas = isObject(body.spec) ? body.spec.replicas : undefined;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw KubeError.invalid(scaleRes, name, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0` }]);
    }
    const rv = isObject(body.metadata) ? body.metadata.resourceVersion : undefined;
    this.precondition(res, cur, typeof rv === 'string' ? rv : undefined);
    const next = copy(cur);
    if (res.custom) {
      if (!customSetReplicas(res, next, replicas, cur.obj as KubeObject)) return customScaleOf(res, cur.obj);
      if (opts.dryRun) return customScaleOf(res, next);
      return customScaleOf(res, this.store.update(cur.key, next).obj);
    }
    if (obj(next, 'spec').replicas === replicas) return scaleOf(cur.obj);
    obj(next, 'spec').replicas = replicas;
    if (res.generation) next.metadata.generation = (next.metadata.generation ?? 1) + 1;
    if (opts.dryRun) return scaleOf(next);
    return scaleOf(this.store.update(cur.key, next).obj);
  }

  async patch(res: ResourceType, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts: PatchOptions = {}): Promise<KubeObject> {
    const ns = this.namespaceOf(res, namespace);
    const sub = opts.subresource ?? '';
    refuseStrategic(res, type);
    const cur = this.store.get(storeKey(res, ns, name));
    if (!cur) {
      if (type === 'apply' && sub === '') {
        if (!isObject(patch)) throw KubeError.badRequest('an apply patch must be a whole object (apiVersion, kind, metadata.name, …)');
        const body = structuredClone(patch) as KubeObject;
        body.metadata = isObject(body.metadata) ? body.metadata : {};
        if (body.metadata.name !== undefined && body.metadata.name !== name) {
          throw KubeError.badRequest(`the name of the object (${String(body.metadata.name)}) does not match the name on the URL (${name})`);
        }
        body.metadata.name = name;
        return this.createSync(res, ns, body, { ...opts, subresource: undefined });
      }
      throw KubeError.notFound(res, name);
    }
    if (sub === 'scale' && hasScale(res)) {
      const scaled = patchObject(type, res.custom ? customScaleOf(res, cur.obj) : scaleOf(cur.obj), patch, res);
      return this.updateScale(res, ns, name, scaled, opts);
    }
    const patched = patchObject(type, asServed(res, copy(cur)), patch, res);
    return this.updateSync(res, ns, name, patched, opts);
  }

  // ------------------------------------------------------------------------------------------
  // delete

  async delete(res: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject | Status> {
    return this.deleteSync(res, namespace, name, opts);
  }

  private deleteSync(res: ResourceType, namespace: string | undefined, name: string, opts: DeleteOptions): KubeObject {
    const ns = this.namespaceOf(res, namespace);
    const cur = this.load(res, ns, name);
    checkDelete(res, name, cur.obj as KubeObject, opts);
    const next = copy(cur);
    if (res !== NAMESPACES && opts.propagationPolicy === 'Orphan' && !opts.dryRun) {
      for (const { entry, next: dep } of orphaned(this.store.list('/'), next.metadata.uid ?? '', copy)) this.store.update(entry.key, dep);
    }
    const { removeNow } = markDeleted(res, next, opts, Date.now());
    if (removeNow) return opts.dryRun ? next : this.remove(res, cur, next);
    if (opts.dryRun) return next;
    if (deletionFinished(res, next)) return this.remove(res, cur, next);
    if (jsonEquals(next, cur.obj)) return asServed(res, copy(cur));
    return asServed(res, copy(this.store.update(cur.key, next)));
  }

  private remove(res: ResourceType, cur: Entry, last: KubeObject): KubeObject {
    const entry = this.store.delete(cur.key, last);
    if (res === SERVICES) {
      const held = heldBy(cur.obj as KubeObject);
      for (const ip of held.ips) this.ips.release(ip);
      for (const p of held.ports) this.ports.release(p);
    }
    return asServed(res, copy(entry));
  }

  async deleteCollection(res: ResourceType, namespace: string | undefined, opts: DeleteOptions & ListOptions = {}): Promise<KubeList> {
    const { matches } = this.matcher(opts, res);
    const entries = this.store.list(storePrefix(res, res.namespaced ? namespace : undefined)).filter((e) => matches(e.obj));
    const items: KubeObject[] = [];
    for (const e of entries) {
      const o = e.obj;
      try {
        items.push(this.deleteSync(res, o.metadata.namespace, o.metadata.name ?? '', { ...opts, preconditions: undefined }));
      } catch (err) {
        if (!(err instanceof KubeError) || err.code !== 404) throw err;
      }
    }
    return toList(res, items, { items: [], rv: this.store.revision() });
  }

  // ------------------------------------------------------------------------------------------
  // pods/binding and pods/eviction

  /** POST pods/<name>/binding `{target: {name}}`: sets spec.nodeName once; 409 if already bound. */
  private bind(namespace: string | undefined, body: KubeObject, opts: WriteOptions): KubeObject {
    const ns = this.namespaceOf(PODS, namespace);
    const req = bindingRequest(PODS, body);
    const cur = this.load(PODS, ns, req.name);
    const next = copy(cur);
    bindPod(PODS, next, req);
    if (!opts.dryRun) this.store.update(cur.key, next);
    return created();
  }

  /** POST pods/<name>/eviction: a graceful delete that respects PodDisruptionBudgets (see `budgetForEviction`). */
  private evict(namespace: string | undefined, body: KubeObject, opts: WriteOptions): KubeObject {
    const name = isObject(body?.metadata) && typeof body.metadata.name === 'string' ? body.metadata.name : undefined;
    if (!name) throw KubeError.badRequest('Eviction: metadata.name (the pod) is required');
    const del = isObject(body.deleteOptions) ? (body.deleteOptions as DeleteOptions) : {};
    const pod = this.load(PODS, namespace, name);
    const budget = budgetForEviction(pod.obj, this.store.list(storePrefix(PDBS, namespace)), Date.now());
    // Delete first: a failed precondition must not use up the budget (all of this is synchronous).
    this.deleteSync(PODS, namespace, name, { ...del, dryRun: opts.dryRun });
    if (budget && !opts.dryRun) this.store.update(budget.key, budget.next);
    return created();
  }

  // ------------------------------------------------------------------------------------------

  private load(res: ResourceType, namespace: string | undefined, name: string): Entry {
    const ns = this.namespaceOf(res, namespace);
    if (!name) throw KubeError.badRequest(`a ${res.singular} name is required`);
    const entry = this.store.get(storeKey(res, ns, name));
    if (!entry) throw KubeError.notFound(res, name);
    return entry;
  }
}
