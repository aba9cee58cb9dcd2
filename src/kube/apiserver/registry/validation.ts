import { KubeError } from '../../errors.js';
import type { ResourceType } from '../../resources.js';
import { labelKeyError, labelSelectorFromObject, labelValueError, matchesLabels } from '../../selectors.js';
import { validateStorage } from '../../storage/validation.js';
import type { KubeObject } from '../../types.js';
import { validateCronJob, validatePodDisruptionBudget, validateStatefulSet } from './validation-workloads.js';
import { validateRbac } from '../rbac/validation.js';
import { arr, Causes, dns1035LabelError, dns1123LabelError, dns1123SubdomainError, isObject, jsonEquals, show, type Json } from './util.js';

/**
 * Validation of create and update (422 Invalid with field causes, upstream's wording for the
 * common cases). Checks what users get wrong and what controllers rely on; it is not the full
 * upstream schema.
 */
export function validate(res: ResourceType, o: KubeObject, old?: KubeObject): void {
  const c = new Causes();
  validateMeta(res, o, c);
  const spec = isObject(o.spec) ? o.spec : undefined;
  switch (res.kind) {
    case 'Pod':
      if (spec) validatePodSpec(spec, 'spec', c);
      else c.required('spec');
      if (old) podUpdate(o, old, c);
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
    case 'StatefulSet':
      workload(res, spec ?? {}, c, ['Always']);
      if (old && !jsonEquals(spec?.selector, isObject(old.spec) ? old.spec.selector : undefined)) c.invalid('spec.selector', spec?.selector, 'field is immutable');
      if (res.kind === 'StatefulSet') validateStatefulSet(spec ?? {}, old && isObject(old.spec) ? old.spec : undefined, c);
      break;
    case 'Job':
      workload(res, spec ?? {}, c, ['OnFailure', 'Never']);
      for (const f of ['parallelism', 'completions', 'backoffLimit']) nonNegative(spec?.[f], `spec.${f}`, c);
      if (old && !jsonEquals(spec?.selector, isObject(old.spec) ? old.spec.selector : undefined)) c.invalid('spec.selector', spec?.selector, 'field is immutable');
      break;
    case 'CronJob':
      validateCronJob(o, spec ?? {}, c);
      break;
    case 'PodDisruptionBudget':
      validatePodDisruptionBudget(spec ?? {}, c);
      break;
    case 'Service':
      validateService(spec ?? {}, c);
      break;
    case 'ConfigMap':
    case 'Secret':
      dataKeys(o, c);
      if (old && old.immutable === true) {
        if (!jsonEquals(o.data, old.data) || !jsonEquals(o.binaryData, old.binaryData)) c.forbidden('data', 'field is immutable when `immutable` is set');
        if (o.immutable !== true) c.forbidden('immutable', 'field is immutable when `immutable` is set');
      }
      if (old && res.kind === 'Secret' && o.type !== old.type) c.invalid('type', o.type, 'field is immutable');
      break;
    case 'Role':
    case 'ClusterRole':
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      if (res.group === 'rbac.authorization.k8s.io') validateRbac(res, o, old, c.list);
      break;
    default:
      validateStorage(o, old, c);
      break;
  }
  if (c.list.length) throw KubeError.invalid(res, o.metadata.name ?? o.metadata.generateName ?? '', c.list);
}

export function validateMeta(res: ResourceType, o: KubeObject, c: Causes): void {
  const name = o.metadata.name;
  if (!name) c.required('metadata.name');
  else {
    const err = res.kind === 'Namespace' ? dns1123LabelError(name) : res.kind === 'Service' ? dns1035LabelError(name) : pathSegmentError(res, name);
    if (err) c.raw('metadata.name', err);
  }
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    const err = labelKeyError(k);
    if (err) c.raw('metadata.labels', `Invalid value: ${show(k)}: ${err}`);
    const verr = typeof v === 'string' ? labelValueError(v) : 'must be a string';
    if (verr) c.raw(`metadata.labels`, `Invalid value: ${show(v)}: ${verr}`);
  }
  for (const [k, v] of Object.entries(o.metadata.annotations ?? {})) {
    const err = labelKeyError(k);
    if (err) c.raw('metadata.annotations', `Invalid value: ${show(k)}: ${err}`);
    if (typeof v !== 'string') c.invalid(`metadata.annotations`, v, 'must be a string');
  }
  if (o.metadata.finalizers !== undefined && !Array.isArray(o.metadata.finalizers)) c.invalid('metadata.finalizers', o.metadata.finalizers, 'must be a list of strings');
}

/** Most kinds take DNS-1123 subdomains; events and a few others only forbid path characters. */
function pathSegmentError(res: ResourceType, name: string): string | undefined {
  if (res.kind === 'Event' || res.kind === 'Lease' || res.kind === 'ControllerRevision' || res.group === 'rbac.authorization.k8s.io') {
    if (name === '.' || name === '..' || name.includes('/') || name.includes('%')) return `Invalid value: ${show(name)}: may not contain '/' or '%' or be '.' or '..'`;
    return undefined;
  }
  return dns1123SubdomainError(name);
}

function nonNegative(v: unknown, field: string, c: Causes): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v)) c.invalid(field, v, 'must be an integer');
  else if (v < 0) c.invalid(field, v, 'must be greater than or equal to 0');
}

function workload(res: ResourceType, spec: Json, c: Causes, restartPolicies: string[]): void {
  nonNegative(spec.replicas, 'spec.replicas', c);
  const template = isObject(spec.template) ? spec.template : undefined;
  const tmeta = isObject(template?.metadata) ? template.metadata : {};
  const labels = isObject(tmeta.labels) ? (tmeta.labels as Record<string, string>) : {};
  if (spec.selector === undefined) {
    if (res.kind !== 'Job') c.required('spec.selector');
  } else if (!isObject(spec.selector)) c.invalid('spec.selector', spec.selector, 'must be a label selector');
  else {
    let sel;
    try {
      sel = labelSelectorFromObject(spec.selector as never);
    } catch (e) {
      c.invalid('spec.selector', spec.selector, (e as Error).message);
    }
    if (sel && sel.requirements.length === 0 && res.kind !== 'Job') c.invalid('spec.selector', spec.selector, 'empty selector is invalid for deployment');
    else if (sel && !matchesLabels(sel, labels)) c.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`');
  }
  if (!template) {
    c.required('spec.template');
    return;
  }
  const pspec = isObject(template.spec) ? template.spec : undefined;
  if (!pspec) {
    c.required('spec.template.spec');
    return;
  }
  validatePodSpec(pspec, 'spec.template.spec', c);
  if (typeof pspec.restartPolicy === 'string' && !restartPolicies.includes(pspec.restartPolicy)) {
    c.notSupported('spec.template.spec.restartPolicy', pspec.restartPolicy, restartPolicies);
  }
}

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];

function validPort(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

export function validatePodSpec(spec: Json, path: string, c: Causes): void {
  const containers = arr(spec, 'containers');
  if (containers.length === 0) c.required(`${path}.containers`);
  const names = new Set<string>();
  for (const list of ['containers', 'initContainers']) {
    arr(spec, list).forEach((ct, i) => {
      const p = `${path}.${list}[${i}]`;
      if (!isObject(ct)) {
        c.invalid(p, ct, 'must be an object');
        return;
      }
      if (typeof ct.name !== 'string' || ct.name === '') c.required(`${p}.name`);
      else {
        const err = dns1123LabelError(ct.name);
        if (err) c.raw(`${p}.name`, err);
        if (names.has(ct.name)) c.duplicate(`${p}.name`, ct.name);
        names.add(ct.name);
      }
      if (typeof ct.image !== 'string' || ct.image.trim() === '') c.required(`${p}.image`);
      const portNames = new Set<string>();
      arr(ct, 'ports').forEach((port, j) => {
        const pp = `${p}.ports[${j}]`;
        if (!isObject(port)) return c.invalid(pp, port, 'must be an object');
        if (port.containerPort === undefined) c.required(`${pp}.containerPort`);
        else if (!validPort(port.containerPort)) c.invalid(`${pp}.containerPort`, port.containerPort, 'must be between 1 and 65535, inclusive');
        if (port.hostPort !== undefined && port.hostPort !== 0 && !validPort(port.hostPort)) c.invalid(`${pp}.hostPort`, port.hostPort, 'must be between 1 and 65535, inclusive');
        if (port.protocol !== undefined && !PROTOCOLS.includes(String(port.protocol))) c.notSupported(`${pp}.protocol`, port.protocol, PROTOCOLS);
        if (typeof port.name === 'string') {
          if (portNames.has(port.name)) c.duplicate(`${pp}.name`, port.name);
          portNames.add(port.name);
        }
      });
      if (ct.imagePullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(String(ct.imagePullPolicy))) {
        c.notSupported(`${p}.imagePullPolicy`, ct.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']);
      }
    });
  }
  if (spec.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(String(spec.restartPolicy))) {
    c.notSupported(`${path}.restartPolicy`, spec.restartPolicy, ['Always', 'OnFailure', 'Never']);
  }
  if (spec.dnsPolicy !== undefined && !['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'].includes(String(spec.dnsPolicy))) {
    c.notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None']);
  }
  nonNegative(spec.terminationGracePeriodSeconds, `${path}.terminationGracePeriodSeconds`, c);
}

/** Pod spec is immutable but for images, activeDeadlineSeconds and added tolerations. */
function podUpdate(o: KubeObject, old: KubeObject, c: Causes): void {
  const spec = isObject(o.spec) ? o.spec : {};
  const was = isObject(old.spec) ? old.spec : {};
  if (was.nodeName !== undefined && spec.nodeName !== was.nodeName) {
    c.forbidden('spec.nodeName', 'field is immutable once set; bind an unscheduled pod through the pods/binding subresource');
    return;
  }
  const norm = (s: Json, images: Json): Json => {
    const out: Json = { ...s };
    delete out.activeDeadlineSeconds;
    delete out.tolerations;
    for (const list of ['containers', 'initContainers']) {
      const ours = arr(s, list);
      const theirs = arr(images, list);
      if (Array.isArray(s[list])) {
        out[list] = ours.map((ct, i) => (isObject(ct) && isObject(theirs[i]) ? { ...ct, image: theirs[i].image } : ct));
      }
    }
    return out;
  };
  if (!jsonEquals(norm(spec, spec), norm(was, spec))) {
    c.forbidden(
      'spec',
      'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    );
    return;
  }
  const oldTol = arr(was, 'tolerations');
  const newTol = arr(spec, 'tolerations');
  if (!oldTol.every((t) => newTol.some((n) => jsonEquals(n, t)))) c.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds');
}

function validateService(spec: Json, c: Causes): void {
  const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
  if (!types.includes(String(spec.type))) c.notSupported('spec.type', spec.type, types);
  if (spec.type === 'ExternalName') {
    if (typeof spec.externalName !== 'string' || spec.externalName === '') c.required('spec.externalName');
    return;
  }
  const ports = arr(spec, 'ports');
  const headlessNoSelector = spec.clusterIP === 'None' && spec.selector === undefined;
  if (ports.length === 0 && !headlessNoSelector) c.required('spec.ports');
  const seen = new Set<string>();
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const pp = `spec.ports[${i}]`;
    if (!isObject(p)) return c.invalid(pp, p, 'must be an object');
    if (ports.length > 1 && (typeof p.name !== 'string' || p.name === '')) c.required(`${pp}.name`);
    if (typeof p.name === 'string' && p.name !== '') {
      if (names.has(p.name)) c.duplicate(`${pp}.name`, p.name);
      names.add(p.name);
    }
    if (p.port === undefined) c.required(`${pp}.port`);
    else if (!validPort(p.port)) c.invalid(`${pp}.port`, p.port, 'must be between 1 and 65535, inclusive');
    if (!PROTOCOLS.includes(String(p.protocol))) c.notSupported(`${pp}.protocol`, p.protocol, PROTOCOLS);
    const key = `${String(p.port)}/${String(p.protocol)}`;
    if (seen.has(key)) c.duplicate(pp, { port: p.port, protocol: p.protocol });
    seen.add(key);
    const tp = p.targetPort;
    if (typeof tp === 'number' ? !validPort(tp) : typeof tp === 'string' ? !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(tp) || tp.length > 15 : tp !== undefined) {
      c.invalid(`${pp}.targetPort`, tp, 'must be a port number between 1 and 65535 or an IANA port name (up to 15 lower-case letters, digits and dashes)');
    }
  });
  if (spec.selector !== undefined && !isObject(spec.selector)) c.invalid('spec.selector', spec.selector, 'must be a map of labels');
  if (spec.sessionAffinity !== undefined && !['None', 'ClientIP'].includes(String(spec.sessionAffinity))) c.notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']);
}

function dataKeys(o: KubeObject, c: Causes): void {
  for (const field of ['data', 'binaryData']) {
    const data = o[field];
    if (data === undefined) continue;
    if (!isObject(data)) {
      c.invalid(field, data, 'must be a map of strings');
      continue;
    }
    for (const [k, v] of Object.entries(data)) {
      if (!/^[-._a-zA-Z0-9]+$/.test(k) || k.length > 253) c.invalid(`${field}[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
      if (typeof v !== 'string') c.invalid(`${field}[${k}]`, v, 'must be a string');
      else if (o.kind === 'Secret' && field === 'data' && !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) c.invalid(`${field}[${k}]`, '<secret contents redacted>', 'must be base64 encoded');
    }
  }
}
