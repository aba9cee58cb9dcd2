import { createHash } from 'node:crypto';
import { groupVersions, RESOURCES, resourcesOf, type ResourceType } from '../resources.js';
import { customGvDocument } from '../apiextensions/openapi.js';

/**
 * Small OpenAPI v3 documents: just enough for kubectl's field-validation check before
 * `apply -f`/`create -f`/`replace -f` (reference §1.5): per group-version, one PATCH operation
 * per kind carrying `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter.
 * NOTE: no `requestBody` and no schemas on purpose: with a requestBody kubectl would try to
 * build strategic-merge patches from (absent) v3 schemas instead of its compiled-in types.
 */

/** `api/v1`, `apis/apps/v1`: the key of a group-version in the root document. */
function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function gvDocument(group: string, version: string, kubeVersion: string, all: readonly ResourceType[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const list = resourcesOf(group, version, all);
  // Custom resources: paths and schemas from their CRD (`apiextensions/openapi.ts`).
  if (list.length && list.every((r) => r.custom)) return customGvDocument(group, version, list, kubeVersion);
  for (const r of list) {
    const base = `/${gvPath(group, version)}`;
    const path = r.namespaced ? `${base}/namespaces/{namespace}/${r.resource}/{name}` : `${base}/${r.resource}/{name}`;
    paths[path] = {
      patch: {
        description: `partially update the specified ${r.kind}`,
        operationId: `patch${r.kind}`,
        'x-kubernetes-group-version-kind': { group, version, kind: r.kind },
        'x-kubernetes-action': 'patch',
        parameters: [
          { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } },
        ],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: `v${kubeVersion.replace(/^v/, '')}` }, paths, components: {} };
}

export interface OpenApiV3 {
  /** `/openapi/v3`. */
  root: Record<string, unknown>;
  /** `api/v1` → the serialized per-GV document. */
  documents: Map<string, string>;
}

/** Builds the root and every per-GV document once per server. */
export function buildOpenApiV3(kubeVersion: string, all: readonly ResourceType[] = RESOURCES): OpenApiV3 {
  const documents = new Map<string, string>();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions(all)) {
    const key = gvPath(gv.group, gv.version);
    const body = JSON.stringify(gvDocument(gv.group, gv.version, kubeVersion, all));
    const hash = createHash('sha512').update(body).digest('hex').toUpperCase();
    documents.set(key, body);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { root: { paths }, documents };
}
