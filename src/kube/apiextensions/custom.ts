import { KubeError } from '../errors.js';
import type { ResourceType, SubresourceType } from '../resources.js';
import type { FieldSelector } from '../selectors.js';
import type { KubeObject } from '../types.js';
import { validateMeta } from '../apiserver/registry/validation.js';
import { Causes, isObject, jsonEquals, type Json } from '../apiserver/registry/util.js';
import { namesOf, specOf, versionsOf, type CrdVersion } from './crd.js';
import type { CustomHooks, PrinterColumn, ScalePaths } from './hooks.js';
import { applyDefaults, prune, validateValue, type Schema } from './schema.js';

/**
 * The resource types of an Established CRD: one per served version, all stored under the same
 * keys (`/<group>/<plural>/…`), ordered as upstream orders versions (GA before beta before
 * alpha, higher first; others alphabetically), so the first is the group's preferred version.
 */

const CRUD = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];
const GPU = ['get', 'patch', 'update'];
const FIELDS = ['metadata.name', 'metadata.namespace'];

/** Kube-like version order key: v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > anything else (alphabetical). */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const stage = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0), v];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
  return ra[3] < rb[3] ? -1 : ra[3] > rb[3] ? 1 : 0;
}

/** `.spec.replicas` → the value at that path (simple dotted paths only). */
export function valueAt(o: unknown, jsonPath: string): unknown {
  let cur: unknown = o;
  for (const part of jsonPath.replace(/^\./, '').split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

/** Sets the value at a simple dotted path, creating objects on the way. */
export function setValueAt(o: Json, jsonPath: string, value: unknown): void {
  const parts = jsonPath.replace(/^\./, '').split('.');
  let cur = o;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(cur[part])) cur[part] = {};
    cur = cur[part] as Json;
  }
  cur[parts[parts.length - 1]!] = value;
}

function hooksFor(crd: KubeObject, v: CrdVersion, res: () => ResourceType, terminating: () => boolean): CustomHooks {
  const schema = (isObject(v.schema) && isObject(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }) as Schema;
  const scale = isObject(v.subresources?.scale) ? (v.subresources.scale as unknown as ScalePaths) : undefined;
  const hasStatus = isObject(v.subresources?.status);
  const columns = (Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns : []).filter(isObject) as unknown as PrinterColumn[];
  const hooks: CustomHooks = {
    crd: crd.metadata.name ?? '',
    schema,
    printerColumns: columns,
    admit(o, old, opts) {
      const r = res();
      if (!old && terminating()) {
        throw KubeError.methodNotAllowed(`create not allowed while custom resource definition is terminating`);
      }
      const removed = prune(schema, o);
      if (removed.length && opts.fieldValidation === 'Strict') {
        throw KubeError.badRequest(`${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: strict decoding error: ${removed.map((p) => `unknown field "${p}"`).join(', ')}`);
      }
      const warnings = opts.fieldValidation === 'Warn' ? removed.map((p) => `unknown field "${p}"`) : [];
      applyDefaults(schema, o);
      const c = new Causes();
      validateMeta(r, o, c);
      const causes = [...c.list, ...validateValue(schema, o, '')];
      if (causes.length) {
        const name = o.metadata.name ?? o.metadata.generateName ?? '';
        const parts = causes.map((x) => `${x.field}: ${x.message}`);
        throw new KubeError(422, 'Invalid', `${r.kind}.${r.group} "${name}" is invalid: ${parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`}`, {
          name,
          group: r.group,
          kind: r.kind,
          causes: causes.map((x) => ({ reason: x.reason ?? 'FieldValueInvalid', message: x.message, field: x.field })),
        });
      }
      if (v.deprecated === true) warnings.push(v.deprecationWarning ?? `${r.group}/${r.version} ${r.kind} is deprecated`);
      return warnings;
    },
    generationChanged(next, old) {
      const strip = (o: Readonly<KubeObject>) => {
        const { metadata: _m, status, ...rest } = o as Json;
        return hasStatus ? rest : { ...rest, status };
      };
      return !jsonEquals(strip(next), strip(old));
    },
    checkFieldSelector(sel: FieldSelector) {
      for (const req of sel.requirements) {
        if (!FIELDS.includes(req.field)) throw KubeError.badRequest(`"${req.field}" is not a known field selector: only "${FIELDS.join('", "')}"`);
      }
    },
  };
  if (scale) hooks.scale = scale;
  return hooks;
}

/**
 * The ResourceTypes a CRD serves (one per served version, preferred first). `terminating`
 * tells the hooks to refuse creates while the CRD is being deleted.
 */
export function customTypes(crd: KubeObject, terminating: () => boolean): ResourceType[] {
  const spec = specOf(crd);
  const names = namesOf(crd);
  const group = typeof spec.group === 'string' ? spec.group : '';
  const served = versionsOf(crd)
    .filter((v) => v.served === true && typeof v.name === 'string')
    .sort((a, b) => compareVersions(a.name, b.name));
  return served.map((v) => {
    const subs: SubresourceType[] = [];
    if (isObject(v.subresources?.status)) subs.push({ name: 'status', group, version: v.name, kind: names.kind, verbs: GPU });
    if (isObject(v.subresources?.scale)) subs.push({ name: 'scale', group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: GPU });
    const type: ResourceType = {
      group,
      version: v.name,
      resource: names.plural,
      singular: names.singular || names.kind.toLowerCase(),
      kind: names.kind,
      listKind: names.listKind || `${names.kind}List`,
      namespaced: spec.scope !== 'Cluster',
      verbs: CRUD,
      shortNames: names.shortNames,
      categories: names.categories,
      subresources: subs,
      hasStatus: subs.some((s) => s.name === 'status'),
      generation: true,
    };
    type.custom = hooksFor(crd, v, () => type, terminating);
    return type;
  });
}
