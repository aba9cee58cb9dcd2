import { conflict, forbidden, StratusError } from '../../../core/errors.js';
import type { Caller } from './context.js';
import { LIMITS, type Image, type Visibility } from './models.js';

/** Image fields a PATCH may set (the rest are read-only or reserved, refused earlier). */
export type SettableField = 'name' | 'visibility' | 'protected' | 'osHidden' | 'owner' | 'diskFormat' | 'containerFormat' | 'minDisk' | 'minRam' | 'tags';

/**
 * One validated JSON-patch operation. `label` is the attribute's wire name, for messages.
 * `strictAdd` is the draft-4 (`openstack-images-v2.0-json-patch`) rule: `add` on an existing
 * attribute is a conflict.
 */
export interface Change {
  op: 'add' | 'replace' | 'remove';
  target: { field: SettableField } | { property: string };
  label: string;
  value?: unknown;
  strictAdd: boolean;
}

/**
 * Applies changes to a copy of `image`, with Glance's rules (glance `ImagesController._do_*`
 * and the domain setters): fields cannot be removed; a property must exist to be replaced or
 * removed; only an admin publicizes or changes the owner; formats change only while queued.
 */
export function applyChanges(image: Image, changes: Change[], caller: Caller): Image {
  const next: Image = { ...image, tags: [...image.tags], properties: { ...image.properties } };
  for (const c of changes) {
    if ('field' in c.target) applyField(next, c.target.field, c, caller);
    else applyProperty(next, c.target.property, c);
  }
  if (Object.keys(next.properties).length > LIMITS.properties && Object.keys(next.properties).length > Object.keys(image.properties).length)
    throw new StratusError('PayloadTooLarge', `Maximum number of image properties exceeded: at most ${LIMITS.properties} are allowed.`, 'ImagePropertyLimitExceeded');
  if (next.tags.length > LIMITS.tags && next.tags.length > image.tags.length)
    throw new StratusError('PayloadTooLarge', `Maximum number of image tags exceeded: at most ${LIMITS.tags} are allowed.`, 'ImageTagLimitExceeded');
  return next;
}

function applyField(img: Image, field: SettableField, c: Change, caller: Caller): void {
  if (c.op === 'remove') throw forbidden(`Property ${c.label} may not be removed.`);
  if (c.op === 'add' && c.strictAdd) throw conflict(`Property ${c.label} already present.`);
  const v = c.value;
  switch (field) {
    case 'owner':
      if (!caller.admin && v !== img.owner) throw forbidden("Owner can't be updated by non admin.");
      img.owner = v as string | null;
      return;
    case 'visibility':
      checkVisibilityChange(img, v as Visibility, caller);
      img.visibility = v as Visibility;
      return;
    case 'diskFormat':
    case 'containerFormat':
      if (v !== img[field] && img.status !== 'queued' && img.status !== 'importing')
        throw forbidden(`Attribute ${c.label} can be only replaced for a queued image.`);
      img[field] = v as string | null;
      return;
    case 'tags':
      img.tags = [...new Set(v as string[])];
      return;
    default:
      (img as unknown as Record<string, unknown>)[field] = v;
  }
}

/** Publicizing is for admins (glance policy `publicize_image`). */
export function checkVisibilityChange(img: Pick<Image, 'visibility'>, to: Visibility, caller: Caller): void {
  if (to === 'public' && img.visibility !== 'public' && !caller.admin)
    throw forbidden('You are not authorized to complete publicize_image action.');
}

function applyProperty(img: Image, name: string, c: Change): void {
  const exists = Object.prototype.hasOwnProperty.call(img.properties, name);
  if (c.op === 'remove') {
    if (!exists) throw conflict(`Property ${name} does not exist.`);
    delete img.properties[name];
    return;
  }
  if (c.op === 'replace' && !exists) throw conflict(`Property ${name} does not exist.`);
  if (c.op === 'add' && exists && c.strictAdd) throw conflict(`Property ${name} already present.`);
  img.properties[name] = c.value as string | null;
}
