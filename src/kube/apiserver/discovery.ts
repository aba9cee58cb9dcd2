import { RESOURCES, apiVersionOf, groupVersions, resourcesOf, type ResourceType } from '../resources.js';

/**
 * Discovery documents, all derived from the resource table (`kube/resources.ts`):
 * aggregated discovery (apidiscovery.k8s.io v2 and v2beta1) on `/api` and `/apis`, the legacy
 * shapes (APIVersions, APIGroupList, APIGroup, APIResourceList) and `/version`.
 */

export type DiscoveryFormat = 'v2' | 'v2beta1' | 'legacy';

export const AGGREGATED_CONTENT_TYPE: Record<'v2' | 'v2beta1', string> = {
  v2: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList',
  v2beta1: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList',
};

/**
 * Picks the answer by the Accept header's order of preference: the first media range that is
 * aggregated v2, aggregated v2beta1, or plain JSON (`application/json`, `*\/*`) wins. kubectl
 * 1.32 lists v2 first; 1.29 lists only v2beta1 (answering v2 breaks it); client-node asks for
 * plain JSON.
 */
export function discoveryFormat(accept: string | undefined): DiscoveryFormat {
  if (!accept) return 'legacy';
  for (const range of accept.split(',')) {
    const parts = range.split(';').map((p) => p.trim().toLowerCase());
    const params = new Map(parts.slice(1).map((p) => p.split('=') as [string, string]));
    if (params.get('g') === 'apidiscovery.k8s.io' && params.get('as') === 'apigroupdiscoverylist') {
      const v = params.get('v');
      if (v === 'v2' || v === 'v2beta1') return v;
      continue;
    }
    if (parts[0] === 'application/json' || parts[0] === '*/*' || parts[0] === 'application/*') return 'legacy';
  }
  return 'legacy';
}

function scope(r: ResourceType): 'Namespaced' | 'Cluster' {
  return r.namespaced ? 'Namespaced' : 'Cluster';
}

function aggregatedResource(r: ResourceType): Record<string, unknown> {
  const out: Record<string, unknown> = {
    resource: r.resource,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: scope(r),
    singularResource: r.singular,
    verbs: r.verbs,
  };
  if (r.shortNames.length) out.shortNames = r.shortNames;
  if (r.categories.length) out.categories = r.categories;
  if (r.subresources.length) {
    out.subresources = r.subresources.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group, version: s.version, kind: s.kind },
      verbs: s.verbs,
    }));
  }
  return out;
}

/** APIGroupDiscoveryList for `/api` (core only) or `/apis` (every named group). */
export function aggregatedDiscovery(core: boolean, version: 'v2' | 'v2beta1', all: readonly ResourceType[] = RESOURCES): Record<string, unknown> {
  const groups: string[] = [];
  for (const gv of groupVersions(all)) {
    if ((gv.group === '') !== core) continue;
    if (!groups.includes(gv.group)) groups.push(gv.group);
  }
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: `apidiscovery.k8s.io/${version}`,
    metadata: {},
    items: groups.map((group) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: groupVersions(all)
        .filter((gv) => gv.group === group)
        .map((gv) => ({ version: gv.version, freshness: 'Current', resources: resourcesOf(gv.group, gv.version, all).map(aggregatedResource) })),
    })),
  };
}

/** Legacy `/api`: APIVersions. */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(group: string, all: readonly ResourceType[]): Record<string, unknown> {
  const versions = groupVersions(all)
    .filter((gv) => gv.group === group)
    .map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

/** Legacy `/apis`: APIGroupList of the named groups. */
export function apiGroupList(all: readonly ResourceType[] = RESOURCES): Record<string, unknown> {
  const groups: string[] = [];
  for (const gv of groupVersions(all)) if (gv.group && !groups.includes(gv.group)) groups.push(gv.group);
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map((g) => apiGroup(g, all)) };
}

/** Legacy `/apis/<group>`: APIGroup, or undefined for an unknown group. */
export function apiGroupDoc(group: string, all: readonly ResourceType[] = RESOURCES): Record<string, unknown> | undefined {
  if (!all.some((r) => r.group === group && group !== '')) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, all) };
}

/** Legacy `/api/v1`, `/apis/<g>/<v>`: APIResourceList with subresource entries, or undefined. */
export function apiResourceList(group: string, version: string, all: readonly ResourceType[] = RESOURCES): Record<string, unknown> | undefined {
  const list = resourcesOf(group, version, all);
  if (!list.length) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const r of list) {
    const entry: Record<string, unknown> = { name: r.resource, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: r.verbs };
    if (r.shortNames.length) entry.shortNames = r.shortNames;
    if (r.categories.length) entry.categories = r.categories;
    resources.push(entry);
    for (const s of r.subresources) {
      const se: Record<string, unknown> = { name: `${r.resource}/${s.name}`, singularName: '', namespaced: r.namespaced, kind: s.kind, verbs: s.verbs };
      if (s.group !== r.group || s.version !== r.version) {
        se.group = s.group;
        se.version = s.version;
      }
      resources.push(se);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(list[0]!), resources };
}

/** `/version` for a Kubernetes version such as `1.32.4`. */
export function versionInfo(kubeVersion: string): Record<string, string> {
  const [major = '1', minor = '32'] = kubeVersion.replace(/^v/, '').split('.');
  return {
    major,
    minor,
    gitVersion: `v${kubeVersion.replace(/^v/, '')}`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'stratus (node ' + process.version + ')',
    compiler: 'stratus',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}
