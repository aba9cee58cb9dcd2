import type { KubeObject } from '../types.js';
import { isObject, type Causes, type Json } from '../apiserver/registry/util.js';
import { parseQuantity, quantityError } from './quantity.js';

/** Validation of ResourceQuota and LimitRange objects (upstream's field paths and wording). */

/** Pod scopes this server evaluates; the others are refused rather than silently ignored. */
export const QUOTA_SCOPES = ['BestEffort', 'NotBestEffort', 'Terminating', 'NotTerminating'];
const RESOURCE_NAME = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?(\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

export function validateQuota(o: KubeObject, c: Causes): void {
  const spec = isObject(o.spec) ? o.spec : {};
  if (spec.hard !== undefined && !isObject(spec.hard)) c.invalid('spec.hard', spec.hard, 'must be a map of resource names to quantities');
  for (const [k, v] of Object.entries(isObject(spec.hard) ? spec.hard : {})) {
    if (!RESOURCE_NAME.test(k)) c.invalid(`spec.hard[${k}]`, k, 'must be a standard resource name, `count/<resource>[.<group>]` or a qualified name');
    const err = quantityError(v);
    if (err) c.invalid(`spec.hard[${k}]`, v, err);
    else if ((parseQuantity(v) ?? 0) < 0) c.invalid(`spec.hard[${k}]`, v, 'must be greater than or equal to 0');
  }
  const scopes = Array.isArray(spec.scopes) ? spec.scopes : [];
  for (const s of scopes) if (!QUOTA_SCOPES.includes(String(s))) c.notSupported('spec.scopes', s, QUOTA_SCOPES);
  if (scopes.includes('BestEffort') && scopes.includes('NotBestEffort')) c.invalid('spec.scopes', scopes, 'conflicting scopes');
  if (scopes.includes('Terminating') && scopes.includes('NotTerminating')) c.invalid('spec.scopes', scopes, 'conflicting scopes');
  if (spec.scopeSelector !== undefined) c.forbidden('spec.scopeSelector', 'scope selectors are not supported by this server; use spec.scopes');
}

const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];
const LISTS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;

export function validateLimitRange(o: KubeObject, c: Causes): void {
  const spec = isObject(o.spec) ? o.spec : {};
  const limits = Array.isArray(spec.limits) ? spec.limits : undefined;
  if (!limits) {
    c.required('spec.limits');
    return;
  }
  limits.forEach((item, i) => {
    const p = `spec.limits[${i}]`;
    if (!isObject(item)) return c.invalid(p, item, 'must be an object');
    if (!LIMIT_TYPES.includes(String(item.type))) c.notSupported(`${p}.type`, item.type, LIMIT_TYPES);
    const q: Record<string, Json> = {};
    for (const list of LISTS) {
      const m = isObject(item[list]) ? item[list] : {};
      q[list] = m;
      for (const [k, v] of Object.entries(m)) {
        const err = quantityError(v);
        if (err) c.invalid(`${p}.${list}[${k}]`, v, err);
      }
    }
    if (item.type === 'Pod') {
      if (Object.keys(q.default!).length) c.forbidden(`${p}.default`, "may not be specified when `type` is 'Pod'");
      if (Object.keys(q.defaultRequest!).length) c.forbidden(`${p}.defaultRequest`, "may not be specified when `type` is 'Pod'");
    }
    const n = (list: string, k: string) => parseQuantity(q[list]![k]);
    const keys = new Set(LISTS.flatMap((l) => Object.keys(q[l]!)));
    for (const k of keys) {
      const [min, max, def, req] = [n('min', k), n('max', k), n('default', k), n('defaultRequest', k)];
      const s = (list: string) => String(q[list]![k]);
      if (min !== undefined && max !== undefined && min > max) c.invalid(`${p}.min[${k}]`, q.min![k], `min value ${s('min')} is greater than max value ${s('max')}`);
      if (req !== undefined && min !== undefined && min > req) c.invalid(`${p}.defaultRequest[${k}]`, q.defaultRequest![k], `min value ${s('min')} is greater than default request value ${s('defaultRequest')}`);
      if (req !== undefined && max !== undefined && req > max) c.invalid(`${p}.defaultRequest[${k}]`, q.defaultRequest![k], `default request value ${s('defaultRequest')} is greater than max value ${s('max')}`);
      if (req !== undefined && def !== undefined && req > def) c.invalid(`${p}.defaultRequest[${k}]`, q.defaultRequest![k], `default request value ${s('defaultRequest')} is greater than default limit value ${s('default')}`);
      if (def !== undefined && min !== undefined && min > def) c.invalid(`${p}.default[${k}]`, q.default![k], `min value ${s('min')} is greater than default value ${s('default')}`);
      if (def !== undefined && max !== undefined && def > max) c.invalid(`${p}.default[${k}]`, q.default![k], `default value ${s('default')} is greater than max value ${s('max')}`);
    }
  });
}
