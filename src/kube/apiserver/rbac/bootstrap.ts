import type { KubeApi } from '../../api.js';
import { KubeError } from '../../errors.js';
import { findResource } from '../../resources.js';
import type { KubeObject } from '../../types.js';
import { RBAC_GROUP } from './policy.js';

/**
 * The default policy every cluster starts with, created when missing (at each start; existing
 * objects are left as the admin made them), labelled `kubernetes.io/bootstrapping:
 * rbac-defaults` and annotated `rbac.authorization.kubernetes.io/autoupdate: "true"`:
 * - `cluster-admin` (everything) bound to the group `system:masters`;
 * - `admin`, `edit`, `view`: aggregated ClusterRoles (labels `rbac.authorization.k8s.io/
 *   aggregate-to-<x>`; `view` feeds `edit`, `edit` feeds `admin`), whose own rules come from
 *   `system:aggregate-to-admin|edit|view` and cover the kinds this server serves;
 * - `system:basic-user` (the self reviews), `system:discovery` (discovery and OpenAPI
 *   documents, health) bound to `system:authenticated`; `system:public-info-viewer`
 *   (`/version`, health) bound to `system:authenticated` and `system:unauthenticated`.
 */

const RW = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const RO = ['get', 'list', 'watch'];
const ALL = [...RW, ...RO];

function rule(apiGroups: string[], resources: string[], verbs: string[]): Record<string, unknown> {
  return { apiGroups, resources, verbs };
}

const meta = (name: string, labels: Record<string, string> = {}) => ({
  name,
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
});

function clusterRole(name: string, rules: Record<string, unknown>[], labels?: Record<string, string>, aggregateFrom?: string): KubeObject {
  const o: KubeObject = { apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: meta(name, labels), rules };
  if (aggregateFrom) o.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [`${RBAC_GROUP}/aggregate-to-${aggregateFrom}`]: 'true' } }] };
  return o;
}

function binding(role: string, groups: string[]): KubeObject {
  return {
    apiVersion: `${RBAC_GROUP}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: meta(role),
    roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: role },
    subjects: groups.map((name) => ({ apiGroup: RBAC_GROUP, kind: 'Group', name })),
  };
}

const DISCOVERY_URLS = ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'];
const PUBLIC_URLS = ['/healthz', '/livez', '/readyz', '/version', '/version/'];

export function defaultClusterRoles(): KubeObject[] {
  return [
    clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), { nonResourceURLs: ['*'], verbs: ['*'] }]),
    clusterRole('admin', [], {}, 'admin'),
    clusterRole('edit', [], { [`${RBAC_GROUP}/aggregate-to-admin`]: 'true' }, 'edit'),
    clusterRole('view', [], { [`${RBAC_GROUP}/aggregate-to-edit`]: 'true' }, 'view'),
    clusterRole('system:aggregate-to-admin', [
      rule(['authorization.k8s.io'], ['localsubjectaccessreviews'], ['create']),
      rule([RBAC_GROUP], ['rolebindings', 'roles'], ALL),
    ], { [`${RBAC_GROUP}/aggregate-to-admin`]: 'true' }),
    clusterRole('system:aggregate-to-edit', [
      rule([''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'], RO),
      rule([''], ['serviceaccounts'], ['impersonate']),
      rule([''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'], RW),
      rule([''], ['pods/eviction'], ['create']),
      rule([''], ['configmaps', 'endpoints', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy'], RW),
      rule([''], ['serviceaccounts/token'], ['create']),
      rule(['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale'], RW),
      rule(['autoscaling'], ['horizontalpodautoscalers'], RW),
      rule(['batch'], ['cronjobs', 'jobs'], RW),
      rule(['discovery.k8s.io'], ['endpointslices'], RW),
      rule(['policy'], ['poddisruptionbudgets'], RW),
      rule(['networking.k8s.io'], ['ingresses', 'networkpolicies'], RW),
      rule(['coordination.k8s.io'], ['leases'], ALL),
    ], { [`${RBAC_GROUP}/aggregate-to-edit`]: 'true' }),
    clusterRole('system:aggregate-to-view', [
      rule([''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status'], RO),
      rule([''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status'], RO),
      rule([''], ['namespaces'], RO),
      rule(['discovery.k8s.io'], ['endpointslices'], RO),
      rule(['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status'], RO),
      rule(['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status'], RO),
      rule(['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status'], RO),
      rule(['events.k8s.io'], ['events'], RO),
      rule(['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status'], RO),
      rule(['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies'], RO),
    ], { [`${RBAC_GROUP}/aggregate-to-view`]: 'true' }),
    clusterRole('system:basic-user', [
      rule(['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'], ['create']),
      rule(['authentication.k8s.io'], ['selfsubjectreviews'], ['create']),
    ]),
    clusterRole('system:discovery', [{ nonResourceURLs: DISCOVERY_URLS, verbs: ['get'] }]),
    clusterRole('system:public-info-viewer', [{ nonResourceURLs: PUBLIC_URLS, verbs: ['get'] }]),
  ];
}

export function defaultClusterRoleBindings(): KubeObject[] {
  return [
    binding('cluster-admin', ['system:masters']),
    binding('system:basic-user', ['system:authenticated']),
    binding('system:discovery', ['system:authenticated']),
    binding('system:public-info-viewer', ['system:authenticated', 'system:unauthenticated']),
  ];
}

/** Creates the default ClusterRoles and ClusterRoleBindings that are missing (idempotent). */
export async function bootstrapRbac(api: KubeApi): Promise<void> {
  const roles = findResource(RBAC_GROUP, 'v1', 'clusterroles')!;
  const bindings = findResource(RBAC_GROUP, 'v1', 'clusterrolebindings')!;
  const ensure = async (res: typeof roles, o: KubeObject) => {
    try {
      await api.create(res, undefined, o);
    } catch (e) {
      if (!(e instanceof KubeError) || e.code !== 409) throw e;
    }
  };
  for (const o of defaultClusterRoles()) await ensure(roles, o);
  for (const o of defaultClusterRoleBindings()) await ensure(bindings, o);
}
