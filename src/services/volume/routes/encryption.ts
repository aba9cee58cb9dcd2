import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { isObject, str, type Json } from '../../../core/validate.js';
import type { EncryptionInput } from '../logic/encryption.js';
import type { TypeEncryption } from '../logic/models.js';
import { callerOf } from '../policy.js';
import { cinderTime, cinderTimeOrNull } from '../views/common.js';
import type { IdParams, VolumeRouteDeps } from './deps.js';

type EncParams = { Params: { id: string; key: string } };

function encryptionView(typeId: string, e: TypeEncryption) {
  return {
    volume_type_id: typeId,
    encryption_id: e.encryptionId,
    provider: e.provider,
    cipher: e.cipher,
    key_size: e.keySize,
    control_location: e.controlLocation,
  };
}

function encryptionBody(body: unknown): EncryptionInput {
  if (!isObject(body) || !isObject(body.encryption)) throw badRequest("Missing required element 'encryption' in request body.");
  const b: Json = body.encryption;
  const out: EncryptionInput = {};
  const provider = str(b, 'provider', { max: 255 });
  if (provider !== undefined && provider !== null) out.provider = provider;
  const cipher = str(b, 'cipher', { nullable: true, max: 255 });
  if (cipher !== undefined) out.cipher = cipher;
  if (b.key_size !== undefined) {
    const k = b.key_size;
    if (k !== null && (typeof k !== 'number' || !Number.isInteger(k) || k < 0)) throw badRequest("Invalid input for field 'key_size': must be a non-negative integer or null.");
    out.keySize = k;
  }
  const loc = str(b, 'control_location', { max: 255 });
  if (loc !== undefined && loc !== null) {
    if (loc !== 'front-end' && loc !== 'back-end') throw badRequest("Invalid input for field 'control_location': must be 'front-end' or 'back-end'.");
    out.controlLocation = loc;
  }
  return out;
}

/** Encryption types of volume types (admin; reading is open to readers, as in Cinder). */
export function encryptionRoutes(app: FastifyInstance, { bs }: VolumeRouteDeps): void {
  app.get<IdParams>('/types/:id/encryption', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume_extension:volume_type_encryption:get');
    await bs.types.get(c, req.params.id);
    const e = await bs.encryption.get(req.params.id);
    if (!e) return {};
    return { ...encryptionView(req.params.id, e), deleted: false, created_at: cinderTime(e.createdAt), updated_at: cinderTimeOrNull(e.updatedAt), deleted_at: null };
  });

  app.get<EncParams>('/types/:id/encryption/:key', async (req) => {
    const c = callerOf(req.auth, 'read', 'volume_extension:volume_type_encryption:get');
    await bs.types.get(c, req.params.id);
    const e = await bs.encryption.get(req.params.id);
    const view: Record<string, unknown> = e ? encryptionView(req.params.id, e) : {};
    if (!(req.params.key in view)) throw badRequest(`Invalid input received: encryption of volume type ${req.params.id} has no key ${req.params.key.slice(0, 60)}.`);
    return { [req.params.key]: view[req.params.key] };
  });

  app.post<IdParams>('/types/:id/encryption', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:volume_type_encryption:create');
    const e = await bs.encryption.create(req.params.id, encryptionBody(req.body));
    return { encryption: encryptionView(req.params.id, e) };
  });

  app.put<EncParams>('/types/:id/encryption/:key', async (req) => {
    callerOf(req.auth, 'admin', 'volume_extension:volume_type_encryption:update');
    const input = encryptionBody(req.body);
    await bs.encryption.update(req.params.id, req.params.key, input);
    const out: Record<string, unknown> = {};
    if (input.provider !== undefined) out.provider = input.provider;
    if (input.cipher !== undefined) out.cipher = input.cipher;
    if (input.keySize !== undefined) out.key_size = input.keySize;
    if (input.controlLocation !== undefined) out.control_location = input.controlLocation;
    return { encryption: out };
  });

  app.delete<EncParams>('/types/:id/encryption/:key', async (req, reply) => {
    callerOf(req.auth, 'admin', 'volume_extension:volume_type_encryption:delete');
    await bs.encryption.delete(req.params.id, req.params.key);
    reply.code(202).send();
  });
}
