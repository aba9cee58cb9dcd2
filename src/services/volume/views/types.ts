import type { VolumeType } from '../logic/models.js';

/** Show and list. */
export function typeView(t: VolumeType, specs: Record<string, string>) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    is_public: t.isPublic,
    'os-volume-type-access:is_public': t.isPublic,
    extra_specs: specs,
    qos_specs_id: t.qosSpecsId ?? null,
  };
}

/** Create: no qos_specs_id. */
export function typeCreated(t: VolumeType) {
  const { qos_specs_id: _q, ...rest } = typeView(t, t.extraSpecs);
  return rest;
}

/** Update: no access attribute either. */
export function typeUpdated(t: VolumeType) {
  return { id: t.id, name: t.name, description: t.description, is_public: t.isPublic, extra_specs: t.extraSpecs };
}
