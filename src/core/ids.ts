import { randomBytes, randomUUID } from 'node:crypto';

/** A 32-hex id, as Keystone uses for users, projects and roles. */
export function hexId(): string {
  return randomUUID().replace(/-/g, '');
}

/** A dashed UUID, as Nova, Neutron, Glance and Cinder use. */
export function uuid(): string {
  return randomUUID();
}

/** An opaque url-safe random string (secrets, access keys). */
export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
