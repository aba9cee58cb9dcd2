import { StoreConflict } from '../../../store/index.js';
import type { MetricContext } from './context.js';
import { invalidInput, typeExists, typeInUse, typeNotFound } from './errors.js';
import { KIND, type AttributeSchema, type AttributeType, type ResourceType } from './models.js';

const str = (required: boolean, maxLength = 255): AttributeSchema => ({ type: 'string', required, minLength: 0, maxLength });
const uuidAttr = (required: boolean): AttributeSchema => ({ type: 'uuid', required });

/** The types ceilometer creates in Gnocchi (`ceilometer-upgrade`), for the resources Stratus has. */
export const BUILTIN_TYPES: Record<string, Record<string, AttributeSchema>> = {
  generic: {},
  instance: {
    display_name: str(true),
    flavor_id: str(true),
    flavor_name: str(false),
    host: str(true),
    image_ref: str(false),
    server_group: str(false),
  },
  instance_disk: { name: str(true), instance_id: uuidAttr(true) },
  instance_network_interface: { name: str(true), instance_id: uuidAttr(true) },
  volume: { display_name: str(false) },
  volume_provider: {},
  swift_account: {},
  image: { name: str(true), container_format: str(true), disk_format: str(true) },
  network: {},
  host: { host_name: str(true) },
  host_disk: { host_name: str(true), device_name: str(false) },
  host_network_interface: { host_name: str(true), device_name: str(false) },
  stack: {},
  identity: {},
  ipmi: {},
};

/** Names a type's attribute may not take (the generic resource's own fields). */
export const RESERVED = new Set([
  'id', 'type', 'metrics', 'revision', 'revision_start', 'revision_end', 'started_at', 'ended_at', 'user_id', 'project_id',
  'created_by_user_id', 'created_by_project_id', 'creator', 'original_resource_id',
]);

const TYPE_NAME_RE = /^[a-zA-Z0-9_:-]{1,255}$/;
const ATTR_NAME_RE = /^[a-zA-Z0-9_:-]{1,63}$/;
const ATTR_TYPES: AttributeType[] = ['string', 'uuid', 'number', 'bool', 'datetime'];

export class ResourceTypes {
  constructor(private readonly ctx: MetricContext) {}

  async init(): Promise<void> {
    await this.ctx.store.tx(async (tx) => {
      for (const [name, attributes] of Object.entries(BUILTIN_TYPES)) {
        if (!(await tx.get(KIND.resourceType, name))) await tx.create(KIND.resourceType, name, { id: name, name, state: 'active', attributes, builtin: true } satisfies ResourceType);
      }
    });
  }

  async list(): Promise<ResourceType[]> {
    return (await this.ctx.store.find<ResourceType>(KIND.resourceType, { shared: true })).map((r) => r.data).sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<ResourceType> {
    const t = (await this.ctx.store.get<ResourceType>(KIND.resourceType, name))?.data;
    if (!t) throw typeNotFound(name);
    return t;
  }

  async create(input: { name?: unknown; attributes?: unknown }): Promise<ResourceType> {
    if (typeof input.name !== 'string' || !TYPE_NAME_RE.test(input.name)) throw invalidInput("required key not provided @ data['name']: letters, digits, '_', ':' or '-', up to 255");
    const attributes = parseAttributes(input.attributes ?? {});
    const t: ResourceType = { id: input.name, name: input.name, state: 'active', attributes, builtin: false };
    try {
      await this.ctx.store.create(KIND.resourceType, t.id, t);
    } catch (e) {
      if (e instanceof StoreConflict) throw typeExists(t.name);
      throw e;
    }
    return t;
  }

  /**
   * A JSON patch of `/attributes/<name>`: `add` a new attribute (a required one needs
   * `options.fill`, the value existing resources get) or `remove` one.
   */
  async patch(name: string, ops: unknown): Promise<ResourceType> {
    if (!Array.isArray(ops) || ops.length === 0) throw invalidInput('expected a JSON patch (a list of operations)');
    return this.ctx.store.tx(async (tx) => {
      const t = (await tx.get<ResourceType>(KIND.resourceType, name))?.data;
      if (!t) throw typeNotFound(name);
      const attributes = { ...t.attributes };
      const fills: Record<string, unknown> = {};
      const removed: string[] = [];
      for (const [i, op] of ops.entries()) {
        const o = (op ?? {}) as { op?: unknown; path?: unknown; value?: unknown };
        const m = typeof o.path === 'string' ? /^\/attributes\/([^/]+)$/.exec(o.path) : null;
        if (!m) throw invalidInput(`Invalid path @ data[${i}]['path']: use /attributes/<name>`);
        const attr = m[1]!;
        if (o.op === 'add') {
          if (attributes[attr]) throw invalidInput(`Attribute ${attr} already exists`);
          const v = (o.value ?? {}) as Record<string, unknown>;
          const parsed = parseAttributes({ [attr]: v })[attr]!;
          const fill = (v.options as { fill?: unknown } | undefined)?.fill;
          if (parsed.required && fill === undefined) throw invalidInput(`option fill is required for the required attribute ${attr} (the value existing resources get)`);
          if (fill !== undefined) fills[attr] = checkValue(attr, parsed, fill);
          attributes[attr] = parsed;
        } else if (o.op === 'remove') {
          if (!attributes[attr]) throw invalidInput(`Attribute ${attr} does not exist`);
          delete attributes[attr];
          removed.push(attr);
        } else throw invalidInput(`Invalid op @ data[${i}]['op']: add or remove`);
      }
      if (Object.keys(fills).length || removed.length) {
        for (const r of await tx.find<{ attributes: Record<string, unknown> }>(KIND.resource, { where: { type: name } })) {
          const attrs = { ...r.data.attributes, ...fills };
          for (const k of removed) delete attrs[k];
          await tx.update(KIND.resource, r.id, { ...r.data, attributes: attrs });
        }
      }
      const next = { ...t, attributes };
      await tx.update(KIND.resourceType, name, next);
      return next;
    });
  }

  async delete(name: string): Promise<void> {
    await this.ctx.store.tx(async (tx) => {
      const t = (await tx.get<ResourceType>(KIND.resourceType, name))?.data;
      if (!t) throw typeNotFound(name);
      if (name === 'generic' || (await tx.count(KIND.resource, { where: { type: name } }))) throw typeInUse(name);
      await tx.delete(KIND.resourceType, name);
    });
  }
}

function parseAttributes(v: unknown): Record<string, AttributeSchema> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalidInput("expected a dictionary @ data['attributes']");
  const out: Record<string, AttributeSchema> = {};
  for (const [name, raw] of Object.entries(v as Record<string, unknown>)) {
    if (!ATTR_NAME_RE.test(name) || RESERVED.has(name)) throw invalidInput(`Invalid attribute name ${JSON.stringify(name)} @ data['attributes']: reserved or not [a-zA-Z0-9_:-]{1,63}`);
    const a = (raw ?? {}) as Record<string, unknown>;
    if (!ATTR_TYPES.includes(a.type as AttributeType)) throw invalidInput(`Invalid type ${JSON.stringify(a.type)} @ data['attributes']['${name}']['type']: one of ${ATTR_TYPES.join(', ')}`);
    const required = a.required === undefined ? true : a.required;
    if (typeof required !== 'boolean') throw invalidInput(`expected bool @ data['attributes']['${name}']['required']`);
    const s: AttributeSchema = { type: a.type as AttributeType, required };
    if (s.type === 'string') {
      s.minLength = intOr(a.min_length, 0, name, 'min_length');
      s.maxLength = intOr(a.max_length, 255, name, 'max_length');
      if (s.minLength > s.maxLength) throw invalidInput(`min_length > max_length @ data['attributes']['${name}']`);
    }
    if (s.type === 'number') {
      s.min = numOrNull(a.min, name, 'min');
      s.max = numOrNull(a.max, name, 'max');
    }
    out[name] = s;
  }
  return out;
}

function intOr(v: unknown, d: number, name: string, field: string): number {
  if (v === undefined) return d;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw invalidInput(`expected a non-negative integer @ data['attributes']['${name}']['${field}']`);
  return v;
}

function numOrNull(v: unknown, name: string, field: string): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidInput(`expected a number @ data['attributes']['${name}']['${field}']`);
  return v;
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Checks one attribute value against its schema; returns the value to store. */
export function checkValue(name: string, s: AttributeSchema, v: unknown): unknown {
  if (v === null) {
    if (s.required) throw invalidInput(`None is not allowed for the required attribute @ data['${name}']`);
    return null;
  }
  switch (s.type) {
    case 'string':
      if (typeof v !== 'string') throw invalidInput(`expected str for dictionary value @ data['${name}']`);
      if (v.length < (s.minLength ?? 0) || v.length > (s.maxLength ?? 255)) throw invalidInput(`length of value must be between ${s.minLength} and ${s.maxLength} for dictionary value @ data['${name}']`);
      return v;
    case 'uuid':
      if (typeof v !== 'string' || !UUID_RE.test(v)) throw invalidInput(`not a valid value for dictionary value @ data['${name}']: a UUID`);
      return v.replace(/-/g, '').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5').toLowerCase();
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidInput(`expected float for dictionary value @ data['${name}']`);
      if ((s.min !== null && s.min !== undefined && v < s.min) || (s.max !== null && s.max !== undefined && v > s.max)) throw invalidInput(`value must be between ${s.min} and ${s.max} for dictionary value @ data['${name}']`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw invalidInput(`expected bool for dictionary value @ data['${name}']`);
      return v;
    case 'datetime':
      if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) throw invalidInput(`expected a datetime for dictionary value @ data['${name}']`);
      return v;
  }
}
