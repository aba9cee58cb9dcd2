import type { KubeApi } from '../../api.js';
import { KubeError } from '../../errors.js';
import { findResource, type ResourceType } from '../../resources.js';
import type { KubeObject } from '../../types.js';
import { ClusterIpAllocator } from './allocators.js';
import { isObject, jsonEquals } from './util.js';

const r = (group: string, resource: string): ResourceType => findResource(group, 'v1', resource)!;

/**
 * The objects every cluster starts with (idempotent; run at each API server start):
 * namespaces default, kube-system, kube-public, kube-node-lease; `default/kubernetes`
 * Service (first address of the service CIDR, 443 → the API server) with its Endpoints and
 * EndpointSlice, refreshed when the API server's address changes; `kube-system/kube-dns`
 * Service at `.10`. The service CIDR comes from `opts`, else from the registry, else the
 * default 10.43.0.0/16.
 */
export async function bootstrapCluster(api: KubeApi, opts: { apiServerIp: string; apiServerPort: number; serviceCidr?: string }): Promise<void> {
  const cidr = opts.serviceCidr ?? (api as { serviceCidr?: string }).serviceCidr ?? '10.43.0.0/16';
  const ips = new ClusterIpAllocator(cidr);
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    await ensure(api, r('', 'namespaces'), undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  await ensure(api, r('', 'services'), 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { clusterIP: ips.nth(1), ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.apiServerPort }] },
  }, (live) => {
    const ports = isObject(live.spec) && Array.isArray(live.spec.ports) ? live.spec.ports : [];
    const p = ports[0];
    if (isObject(p) && p.targetPort === opts.apiServerPort) return undefined;
    return { ...live, spec: { ...(live.spec as object), ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: opts.apiServerPort }] } };
  });
  const endpoints: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: opts.apiServerIp }], ports: [{ name: 'https', port: opts.apiServerPort, protocol: 'TCP' }] }],
  };
  await ensure(api, r('', 'endpoints'), 'default', endpoints, (live) => (jsonEquals(live.subsets, endpoints.subsets) ? undefined : { ...live, subsets: endpoints.subsets }));
  const slice: KubeObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [opts.apiServerIp], conditions: { ready: true } }],
    ports: [{ name: 'https', port: opts.apiServerPort, protocol: 'TCP' }],
  };
  await ensure(api, r('discovery.k8s.io', 'endpointslices'), 'default', slice, (live) =>
    jsonEquals(live.endpoints, slice.endpoints) && jsonEquals(live.ports, slice.ports) ? undefined : { ...live, endpoints: slice.endpoints, ports: slice.ports },
  );
  await ensure(api, r('', 'services'), 'kube-system', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kube-dns', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' } },
    spec: {
      clusterIP: ips.nth(10),
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    },
  });
}

/** Creates `o` unless it exists; `refresh` may return a changed live object to write back. */
async function ensure(api: KubeApi, res: ResourceType, ns: string | undefined, o: KubeObject, refresh?: (live: KubeObject) => KubeObject | undefined): Promise<void> {
  let live: KubeObject;
  try {
    live = await api.get(res, ns, o.metadata.name!);
  } catch (e) {
    if (!(e instanceof KubeError) || e.code !== 404) throw e;
    try {
      await api.create(res, ns, o);
      return;
    } catch (err) {
      if (!(err instanceof KubeError) || err.code !== 409) throw err;
      live = await api.get(res, ns, o.metadata.name!);
    }
  }
  const changed = refresh?.(live);
  if (changed) await api.update(res, ns, o.metadata.name!, changed);
}
