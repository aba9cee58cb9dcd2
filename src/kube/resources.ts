/**
 * The resource table: every kind the API server serves, as data. Discovery (v2, v2beta1 and
 * legacy), OpenAPI v3, URL routing, store keys, Table printing and Status details all read it,
 * so a kind is added here once.
 */

import type { CustomHooks } from './apiextensions/hooks.js';

export interface SubresourceType {
  /** `status`, `scale`, `log`, `exec`, `attach`, `portforward`, `binding`, `eviction`, `finalize`, `token`, `proxy`. */
  name: string;
  /** Response kind, when it differs from the parent (`scale` → autoscaling/v1 Scale). */
  group: string;
  version: string;
  kind: string;
  verbs: string[];
}

export interface ResourceType {
  /** API group; '' for core. */
  group: string;
  version: string;
  /** Plural, lower-case: `pods`, `deployments`. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames: string[];
  categories: string[];
  subresources: SubresourceType[];
  /** Writes to the main resource ignore `status`; `/status` writes change only `status`. */
  hasStatus: boolean;
  /** `metadata.generation` is bumped when `spec` changes. */
  generation: boolean;
  /** Set on kinds served from a CustomResourceDefinition (`apiextensions/`): schema, printer columns, scale paths. */
  custom?: CustomHooks;
}

const CRUD = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const GPU = ['get', 'patch', 'update'];

function sub(name: string, kind: string, verbs: string[], group = '', version = 'v1'): SubresourceType {
  return { name, group, version, kind, verbs };
}

function def(
  group: string,
  version: string,
  resource: string,
  kind: string,
  namespaced: boolean,
  opts: { short?: string[]; categories?: string[]; subs?: SubresourceType[]; status?: boolean; generation?: boolean; verbs?: string[] } = {},
): ResourceType {
  const subs = (opts.subs ?? []).map((s) => (s.group === '' && s.version === 'v1' && s.kind === '' ? { ...s, group, version, kind } : s));
  return {
    group,
    version,
    resource,
    singular: kind.toLowerCase(),
    kind,
    listKind: `${kind}List`,
    namespaced,
    verbs: opts.verbs ?? CRUD,
    shortNames: opts.short ?? [],
    categories: opts.categories ?? [],
    subresources: subs,
    hasStatus: opts.status ?? subs.some((s) => s.name === 'status'),
    generation: opts.generation ?? false,
  };
}

/** `status` subresource answering the parent kind (kind filled in by `def`). */
const STATUS = sub('status', '', GPU);
const SCALE = sub('scale', 'Scale', GPU, 'autoscaling', 'v1');

export const RESOURCES: readonly ResourceType[] = [
  def('', 'v1', 'namespaces', 'Namespace', false, { short: ['ns'], subs: [STATUS, sub('finalize', '', ['update'])] }),
  def('', 'v1', 'nodes', 'Node', false, { short: ['no'], subs: [STATUS, sub('proxy', 'NodeProxyOptions', ['create', 'delete', 'get', 'patch', 'update'])] }),
  def('', 'v1', 'pods', 'Pod', true, {
    short: ['po'],
    categories: ['all'],
    subs: [
      STATUS,
      sub('log', 'Pod', ['get']),
      sub('exec', 'PodExecOptions', ['create', 'get']),
      sub('attach', 'PodAttachOptions', ['create', 'get']),
      sub('portforward', 'PodPortForwardOptions', ['create', 'get']),
      sub('binding', 'Binding', ['create']),
      sub('eviction', 'Eviction', ['create'], 'policy', 'v1'),
    ],
  }),
  def('', 'v1', 'services', 'Service', true, { short: ['svc'], categories: ['all'], subs: [STATUS, sub('proxy', 'ServiceProxyOptions', ['create', 'delete', 'get', 'patch', 'update'])] }),
  def('', 'v1', 'endpoints', 'Endpoints', true, { short: ['ep'] }),
  def('', 'v1', 'events', 'Event', true, { short: ['ev'] }),
  def('', 'v1', 'configmaps', 'ConfigMap', true, { short: ['cm'] }),
  def('', 'v1', 'secrets', 'Secret', true),
  def('', 'v1', 'persistentvolumes', 'PersistentVolume', false, { short: ['pv'], subs: [STATUS] }),
  def('', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', true, { short: ['pvc'], subs: [STATUS] }),
  def('', 'v1', 'resourcequotas', 'ResourceQuota', true, { short: ['quota'], subs: [STATUS] }),
  def('', 'v1', 'limitranges', 'LimitRange', true, { short: ['limits'] }),
  def('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { short: ['sa'], subs: [sub('token', 'TokenRequest', ['create'], 'authentication.k8s.io', 'v1')] }),
  def('apps', 'v1', 'deployments', 'Deployment', true, { short: ['deploy'], categories: ['all'], subs: [STATUS, SCALE], generation: true }),
  def('apps', 'v1', 'replicasets', 'ReplicaSet', true, { short: ['rs'], categories: ['all'], subs: [STATUS, SCALE], generation: true }),
  def('apps', 'v1', 'daemonsets', 'DaemonSet', true, { short: ['ds'], categories: ['all'], subs: [STATUS], generation: true }),
  def('apps', 'v1', 'statefulsets', 'StatefulSet', true, { short: ['sts'], categories: ['all'], subs: [STATUS, SCALE], generation: true }),
  def('apps', 'v1', 'controllerrevisions', 'ControllerRevision', true),
  def('batch', 'v1', 'jobs', 'Job', true, { categories: ['all'], subs: [STATUS], generation: true }),
  def('batch', 'v1', 'cronjobs', 'CronJob', true, { short: ['cj'], categories: ['all'], subs: [STATUS], generation: true }),
  def('policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', true, { short: ['pdb'], subs: [STATUS], generation: true }),
  def('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  def('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  def('storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', false, { short: ['sc'] }),
  def('events.k8s.io', 'v1', 'events', 'Event', true, { short: ['ev'] }),
  def('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false, { short: ['crd', 'crds'], categories: ['api-extensions'], subs: [STATUS], generation: true }),
  def('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  def('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  def('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
  def('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  def('authorization.k8s.io', 'v1', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', true, { verbs: ['create'] }),
  def('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, { verbs: ['create'] }),
  def('authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, { verbs: ['create'] }),
  def('authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', false, { verbs: ['create'] }),
  def('authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', false, { verbs: ['create'] }),
];

/** Resources of one group-version, in table order (`all`: a catalog's list, default the static table). */
export function resourcesOf(group: string, version: string, all: readonly ResourceType[] = RESOURCES): ResourceType[] {
  return all.filter((r) => r.group === group && r.version === version);
}

/** Served group-versions, core first, in table order (the first version of a group is preferred). */
export function groupVersions(all: readonly ResourceType[] = RESOURCES): { group: string; version: string }[] {
  const seen = new Set<string>();
  const out: { group: string; version: string }[] = [];
  for (const r of all) {
    const key = `${r.group}/${r.version}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ group: r.group, version: r.version });
    }
  }
  return out;
}

export function findResource(group: string, version: string, resource: string, all: readonly ResourceType[] = RESOURCES): ResourceType | undefined {
  return all.find((r) => r.group === group && r.version === version && r.resource === resource);
}

/** The resource of an object's `apiVersion` + `kind` (core events resolve to v1). */
export function resourceForKind(apiVersion: string, kind: string, all: readonly ResourceType[] = RESOURCES): ResourceType | undefined {
  const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
  return all.find((r) => r.group === group && r.version === version && r.kind === kind);
}

/**
 * The kinds one cluster serves: the static table plus an overlay of kinds added and removed at
 * run time (custom resources of Established CRDs, keyed by the CRD's name). Discovery, OpenAPI
 * and URL routing read `all()`; `version` changes with every change, and `onChange` listeners
 * run after it.
 * NOTE: one catalog per cluster (several clusters share a process), not a module-level overlay.
 */
export class ResourceCatalog {
  private readonly extra = new Map<string, ResourceType[]>();
  private cached: readonly ResourceType[] | undefined;
  private readonly listeners = new Set<() => void>();
  version = 0;

  all(): readonly ResourceType[] {
    return (this.cached ??= [...RESOURCES, ...[...this.extra.values()].flat()]);
  }

  find(group: string, version: string, resource: string): ResourceType | undefined {
    return findResource(group, version, resource, this.all());
  }

  /** The extra kinds added under `owner`, if any. */
  owned(owner: string): readonly ResourceType[] | undefined {
    return this.extra.get(owner);
  }

  /** Adds or replaces the kinds of `owner` (empty list: removes them). */
  set(owner: string, types: ResourceType[]): void {
    if (types.length) this.extra.set(owner, types);
    else if (!this.extra.delete(owner)) return;
    this.cached = undefined;
    this.version++;
    for (const l of [...this.listeners]) l();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function apiVersionOf(res: ResourceType): string {
  return res.group ? `${res.group}/${res.version}` : res.version;
}

/** `pods`, `deployments.apps`: how Status messages name a resource. */
export function qualifiedResource(res: ResourceType): string {
  return res.group ? `${res.resource}.${res.group}` : res.resource;
}

/**
 * The store key of an object: `/<group or core>/<resource>/<namespace>/<name>` for namespaced
 * kinds, `/<group or core>/<resource>/<name>` for cluster-scoped ones. A list prefix is the
 * same without the trailing parts, ending in `/`.
 */
export function storeKey(res: ResourceType, namespace: string | undefined, name: string): string {
  return `${storePrefix(res, namespace)}${name}`;
}

export function storePrefix(res: ResourceType, namespace?: string): string {
  const base = `/${res.group || 'core'}/${res.resource}/`;
  return res.namespaced && namespace ? `${base}${namespace}/` : base;
}
