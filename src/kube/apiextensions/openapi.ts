import type { ResourceType } from '../resources.js';

/**
 * The `/openapi/v3/apis/<group>/<version>` document of a CRD group-version: one PATCH
 * operation per kind (GVK extension and `fieldValidation` parameter, which kubectl's
 * field-validation check looks for; JSON, merge and apply bodies only, so kubectl builds merge
 * patches as for any custom resource) and the kind's schema from the CRD under
 * `components.schemas` with its `x-kubernetes-group-version-kind` (what `kubectl explain` reads).
 */

/** `stable.example.com`, `v1`, `CronTab` → `com.example.stable.v1.CronTab` (upstream's naming). */
export function schemaName(group: string, version: string, kind: string): string {
  return [...group.split('.').reverse(), version, kind].join('.');
}

const PATCH_BODIES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

export function customGvDocument(group: string, version: string, list: readonly ResourceType[], kubeVersion: string): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const r of list) {
    const name = schemaName(group, version, r.kind);
    const ref = { $ref: `#/components/schemas/${name}` };
    const gvk = { group, version, kind: r.kind };
    const base = `/apis/${group}/${version}`;
    const collection = r.namespaced ? `${base}/namespaces/{namespace}/${r.resource}` : `${base}/${r.resource}`;
    paths[`${collection}/{name}`] = {
      get: { operationId: `read${r.kind}`, 'x-kubernetes-group-version-kind': gvk, 'x-kubernetes-action': 'get', responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } } },
      patch: {
        description: `partially update the specified ${r.kind}`,
        operationId: `patch${r.kind}`,
        'x-kubernetes-group-version-kind': gvk,
        'x-kubernetes-action': 'patch',
        parameters: [
          { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } },
        ],
        requestBody: { required: true, content: Object.fromEntries(PATCH_BODIES.map((t) => [t, { schema: { type: 'object' } }])) },
        responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } },
      },
    };
    const own = r.custom?.schema ?? {};
    const props = (typeof own.properties === 'object' && own.properties) || {};
    schemas[name] = {
      ...own,
      description: typeof own.description === 'string' ? own.description : undefined,
      type: 'object',
      properties: {
        apiVersion: { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' },
        kind: { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' },
        metadata: { type: 'object', description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata" },
        ...props,
      },
      'x-kubernetes-group-version-kind': [gvk],
    };
    schemas[`${name}List`] = {
      type: 'object',
      required: ['items'],
      properties: {
        apiVersion: { type: 'string' },
        items: { type: 'array', items: ref },
        kind: { type: 'string' },
        metadata: { type: 'object' },
      },
      'x-kubernetes-group-version-kind': [{ group, version, kind: r.listKind }],
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes CRD Swagger', version: `v${kubeVersion.replace(/^v/, '')}` }, paths, components: { schemas } };
}
