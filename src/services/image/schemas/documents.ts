import { MEMBER_STATUSES } from '../logic/models.js';
import { BASE_DEFS, CUSTOM_DEFS, type AttrDef } from './attrs.js';

/**
 * The JSON-schema documents Glance serves at /v2/schemas/{image,images,member,members}. Clients
 * (glanceclient, Horizon) read them to learn which properties are typed; the SDK ignores them.
 */
type Json = Record<string, unknown>;

function toJsonSchema(def: AttrDef): Json {
  const out: Json = { type: def.nullable ? ['null', def.type] : def.type, description: def.description };
  if (def.type === 'array') out.items = { type: 'string', maxLength: def.maxLength };
  else if (def.maxLength !== undefined) out.maxLength = def.maxLength;
  if (def.enum) out.enum = [...def.enum];
  if (def.pattern) out.pattern = def.pattern.source;
  if (def.readOnly) out.readOnly = true;
  return out;
}

const LOCATIONS: Json = {
  type: 'array',
  items: {
    type: 'object',
    properties: { url: { type: 'string', maxLength: 255 }, metadata: { type: 'object' } },
    required: ['url', 'metadata'],
  },
  description: 'A set of URLs to access the image file kept in external store',
};

export function imageSchema(): Json {
  const properties: Json = {};
  for (const [k, def] of Object.entries(BASE_DEFS)) properties[k] = toJsonSchema(def);
  properties.locations = LOCATIONS;
  for (const [k, def] of Object.entries(CUSTOM_DEFS)) properties[k] = { ...toJsonSchema(def), is_base: false };
  return {
    name: 'image',
    properties,
    additionalProperties: { type: 'string' },
    links: [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

function collection(name: string, item: Json): Json {
  return {
    name,
    properties: {
      [name]: { type: 'array', items: item },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}

export function imagesSchema(): Json {
  return collection('images', imageSchema());
}

export function memberSchema(): Json {
  return {
    name: 'member',
    properties: {
      member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
      image_id: { type: 'string', description: 'An identifier for the image', pattern: BASE_DEFS.id!.pattern!.source },
      created_at: { type: 'string', description: 'Date and time of image member creation' },
      updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
      status: { type: 'string', description: 'The status of this image member', enum: [...MEMBER_STATUSES] },
      schema: { readOnly: true, type: 'string' },
    },
    additionalProperties: false,
  };
}

export function membersSchema(): Json {
  return collection('members', memberSchema());
}
