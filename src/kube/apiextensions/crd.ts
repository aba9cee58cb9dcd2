import { KubeError, type InvalidCause } from '../errors.js';
import { RESOURCES, type ResourceType } from '../resources.js';
import { kubeTime, type KubeObject } from '../types.js';
import { structuralErrors } from './structural.js';
import { isObject, type Json } from '../apiserver/registry/util.js';

/**
 * CustomResourceDefinition (apiextensions.k8s.io/v1) admission in the registry: the defaults a
 * 1.32 API server fills in, validation with upstream's field causes (422), the initial status,
 * and the delete step that adds the `customresourcecleanup.apiextensions.k8s.io` finalizer (the
 * CRD controller then deletes every object of the kind and removes it).
 */

export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';
const APPROVAL = 'api-approved.kubernetes.io';
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date'];

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: Json;
  subresources?: { status?: Json; scale?: Json };
  additionalPrinterColumns?: Json[];
  deprecated?: boolean;
  deprecationWarning?: string;
}

export function specOf(crd: Readonly<KubeObject>): Json {
  return isObject(crd.spec) ? crd.spec : {};
}

export function namesOf(crd: Readonly<KubeObject>): { plural: string; singular: string; kind: string; listKind: string; shortNames: string[]; categories: string[] } {
  const n = isObject(specOf(crd).names) ? (specOf(crd).names as Json) : {};
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return { plural: str(n.plural), singular: str(n.singular), kind: str(n.kind), listKind: str(n.listKind), shortNames: list(n.shortNames), categories: list(n.categories) };
}

export function versionsOf(crd: Readonly<KubeObject>): CrdVersion[] {
  const v = specOf(crd).versions;
  return Array.isArray(v) ? (v.filter(isObject) as unknown as CrdVersion[]) : [];
}

/** Defaults (idempotent): singular, listKind, conversion strategy, printer column priority. */
export function defaultCrd(o: KubeObject): void {
  if (!isObject(o.spec)) return;
  const spec = o.spec;
  if (isObject(spec.names)) {
    const n = spec.names;
    if (!n.singular && typeof n.kind === 'string') n.singular = n.kind.toLowerCase();
    if (!n.listKind && typeof n.kind === 'string' && n.kind) n.listKind = `${n.kind}List`;
  }
  if (spec.conversion === undefined) spec.conversion = { strategy: 'None' };
  for (const v of Array.isArray(spec.versions) ? spec.versions : []) {
    if (!isObject(v)) continue;
    for (const c of Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns : []) if (isObject(c)) c.priority ??= 0;
  }
}

/** Status on create: stored versions from the spec; names and conditions come from the controller. */
export function initialCrdStatus(o: KubeObject): void {
  const storage = versionsOf(o).find((v) => v.storage === true)?.name;
  o.status = { conditions: [], acceptedNames: { plural: '', kind: '' }, storedVersions: storage ? [storage] : [] };
}

/** On update the storage version joins `status.storedVersions` (as upstream). */
export function updateStoredVersions(next: KubeObject): void {
  const storage = versionsOf(next).find((v) => v.storage === true)?.name;
  const status = isObject(next.status) ? next.status : (next.status = {});
  const stored = Array.isArray(status.storedVersions) ? (status.storedVersions as string[]) : [];
  if (storage && !stored.includes(storage)) status.storedVersions = [...stored, storage];
}

/** First delete: add the cleanup finalizer and a Terminating condition (the controller does the rest). */
export function markCrdTerminating(next: KubeObject): void {
  const meta = next.metadata;
  if (!(meta.finalizers ?? []).includes(CLEANUP_FINALIZER)) meta.finalizers = [...(meta.finalizers ?? []), CLEANUP_FINALIZER];
  const status = isObject(next.status) ? next.status : (next.status = {});
  const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) => !(isObject(c) && c.type === 'Terminating'));
  conditions.push({ type: 'Terminating', status: 'True', lastTransitionTime: kubeTime(), reason: 'InstanceDeletionPending', message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon' });
  status.conditions = conditions;
}

const BUILTIN_GROUPS = new Set(RESOURCES.map((r) => r.group));

/**
 * Validates a CRD (create, or update against `old`): 422 Invalid with field causes. Returns
 * warnings for the client (CEL rules not enforced, webhook conversion not called).
 */
export function validateCrd(res: ResourceType, o: KubeObject, old?: KubeObject): string[] {
  const causes: InvalidCause[] = [];
  const warnings: string[] = [];
  const bad = (field: string, value: unknown, why: string) => causes.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${why}` });
  const required = (field: string, why?: string) => causes.push({ field, reason: 'FieldValueRequired', message: why ? `Required value: ${why}` : 'Required value' });
  const spec = specOf(o);
  const names = namesOf(o);
  const group = str(spec.group);
  const name = o.metadata.name ?? '';

  if (!name) required('metadata.name');
  else if (name !== `${names.plural}.${group}`) bad('metadata.name', name, 'must be spec.names.plural+"."+spec.group');

  if (!group) required('spec.group');
  else if (!group.includes('.')) bad('spec.group', group, 'should be a domain with at least one dot');
  else if (!DNS1123_SUBDOMAIN.test(group) || group.length > 253) bad('spec.group', group, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character");
  else if (BUILTIN_GROUPS.has(group)) bad('spec.group', group, 'is served by this API server itself and cannot be extended with CustomResourceDefinitions');
  else if ((group.endsWith('.k8s.io') || group.endsWith('.kubernetes.io') || group === 'k8s.io' || group === 'kubernetes.io') && !o.metadata.annotations?.[APPROVAL]) {
    required(`metadata.annotations[${APPROVAL}]`, `protected groups must have approval annotation "${APPROVAL}", see https://github.com/kubernetes/enhancements/pull/1111`);
  }

  const scope = spec.scope;
  if (scope === undefined || scope === '') required('spec.scope');
  else if (scope !== 'Namespaced' && scope !== 'Cluster') causes.push({ field: 'spec.scope', reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(scope)}: supported values: "Cluster", "Namespaced"` });

  const label = (field: string, v: string) => {
    if (!DNS1035.test(v) || v.length > 63) {
      bad(field, v, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
    }
  };
  if (!names.plural) required('spec.names.plural');
  else label('spec.names.plural', names.plural);
  if (names.singular) label('spec.names.singular', names.singular);
  if (!names.kind) required('spec.names.kind');
  else label('spec.names.kind', names.kind.toLowerCase());
  if (!names.listKind) required('spec.names.listKind');
  else {
    label('spec.names.listKind', names.listKind.toLowerCase());
    if (names.listKind === names.kind) bad('spec.names.listKind', names.listKind, 'kind and listKind may not be the same or parsing become ambiguous');
  }
  names.shortNames.forEach((s, i) => label(`spec.names.shortNames[${i}]`, s));
  names.categories.forEach((s, i) => label(`spec.names.categories[${i}]`, s));

  const versions = versionsOf(o);
  if (!Array.isArray(spec.versions) || versions.length === 0) required('spec.versions', 'must have at least one version');
  else {
    const storage = versions.filter((v) => v.storage === true).length;
    if (storage !== 1) causes.push({ field: 'spec.versions', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(versions.map((v) => v.name))}: must have exactly one version marked as storage version` });
    if (!versions.some((v) => v.served === true)) causes.push({ field: 'spec.versions', reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(versions.map((v) => v.name))}: must have at least one version marked as served` });
    const seen = new Set<string>();
    versions.forEach((v, i) => versionErrors(v, `spec.versions[${i}]`, seen, causes, warnings));
  }

  const conv = isObject(spec.conversion) ? spec.conversion : {};
  if (conv.strategy !== undefined && conv.strategy !== 'None' && conv.strategy !== 'Webhook') {
    causes.push({ field: 'spec.conversion.strategy', reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(conv.strategy)}: supported values: "None", "Webhook"` });
  } else if (conv.strategy === 'Webhook') {
    warnings.push('spec.conversion: conversion webhooks are not called by this API server (Stratus): objects are served in every version by rewriting apiVersion only, as strategy None does');
  }

  if (old) {
    const was = specOf(old);
    if (group !== str(was.group)) bad('spec.group', group, 'field is immutable');
    if (scope !== was.scope) bad('spec.scope', scope, 'field is immutable');
    if (names.plural !== namesOf(old).plural) bad('spec.names.plural', names.plural, 'field is immutable');
  }
  if (causes.length) throw KubeError.invalid(res, name, causes);
  return warnings;
}

function versionErrors(v: CrdVersion, path: string, seen: Set<string>, causes: InvalidCause[], warnings: string[]): void {
  const bad = (field: string, value: unknown, why: string) => causes.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${why}` });
  if (!v.name) causes.push({ field: `${path}.name`, reason: 'FieldValueRequired', message: 'Required value' });
  else if (!DNS1035.test(v.name)) bad(`${path}.name`, v.name, "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character");
  else if (seen.has(v.name)) causes.push({ field: `${path}.name`, reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(v.name)}` });
  seen.add(v.name);
  const schema = isObject(v.schema) ? v.schema.openAPIV3Schema : undefined;
  if (!isObject(schema)) causes.push({ field: `${path}.schema.openAPIV3Schema`, reason: 'FieldValueRequired', message: 'Required value: schemas are required' });
  else causes.push(...structuralErrors(schema, `${path}.schema.openAPIV3Schema`, warnings));
  const subs = isObject(v.subresources) ? v.subresources : {};
  if (isObject(subs.scale)) {
    const s = subs.scale;
    const p = `${path}.subresources.scale`;
    const jsonPath = (k: string, under: string[], req: boolean) => {
      const val = s[k];
      if (val === undefined || val === '') {
        if (req) causes.push({ field: `${p}.${k}`, reason: 'FieldValueRequired', message: 'Required value' });
      } else if (typeof val !== 'string' || !under.some((u) => val.startsWith(`${u}.`)) || /[[\]*]/.test(val)) {
        bad(`${p}.${k}`, val, `should be a json path under ${under.join(' or ')}`);
      }
    };
    jsonPath('specReplicasPath', ['.spec'], true);
    jsonPath('statusReplicasPath', ['.status'], true);
    jsonPath('labelSelectorPath', ['.spec', '.status'], false);
  }
  (Array.isArray(v.additionalPrinterColumns) ? v.additionalPrinterColumns : []).forEach((c, i) => {
    const p = `${path}.additionalPrinterColumns[${i}]`;
    if (!isObject(c)) return bad(p, c, 'must be an object');
    if (!c.name) causes.push({ field: `${p}.name`, reason: 'FieldValueRequired', message: 'Required value' });
    if (!COLUMN_TYPES.includes(str(c.type))) causes.push({ field: `${p}.type`, reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(c.type ?? '')}: supported values: ${COLUMN_TYPES.map((t) => `"${t}"`).join(', ')}` });
    if (!c.jsonPath) causes.push({ field: `${p}.jsonPath`, reason: 'FieldValueRequired', message: 'Required value' });
    else if (typeof c.jsonPath !== 'string' || !c.jsonPath.startsWith('.')) bad(`${p}.jsonPath`, c.jsonPath, 'must be a simple json path starting with .');
  });
}
