import assert from 'node:assert/strict';
import { eventually, type Res, type TestCloud } from '../support/cloud.js';

/** A user's view of block storage: its token, project and a request helper rooted at /volume/v3/<project>. */
export interface VolumeUser {
  token: string;
  projectId: string;
  userId: string;
  /** `path` is relative to /volume/v3/<project_id>. */
  req(method: string, path: string, opts?: { body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Res>;
}

export async function volumeUser(c: TestCloud, user: string, project?: string): Promise<VolumeUser> {
  const token = await c.token(user, project);
  const me = await c.req('GET', '/identity/v3/auth/tokens', { token, headers: { 'x-subject-token': token } });
  assert.equal(me.status, 200, me.text);
  const projectId: string = me.body.token.project.id;
  return {
    token,
    projectId,
    userId: me.body.token.user.id,
    req: (method, path, opts = {}) => c.req(method, `/volume/v3/${projectId}${path}`, { ...opts, token }),
  };
}

/** Polls GET /volumes/{id} until `status` (fails fast on an unexpected error state). */
export async function waitVolume(u: VolumeUser, id: string, status: string, timeoutMs = 10_000): Promise<any> {
  return eventually(async () => {
    const r = await u.req('GET', `/volumes/${id}`);
    if (r.status !== 200) return undefined;
    const v = r.body.volume;
    if (v.status === status) return v;
    if (status !== 'error' && v.status.startsWith('error')) throw new Error(`volume ${id} went to ${v.status}`);
    return undefined;
  }, timeoutMs);
}

export async function waitSnapshot(u: VolumeUser, id: string, status: string, timeoutMs = 10_000): Promise<any> {
  return eventually(async () => {
    const r = await u.req('GET', `/snapshots/${id}`);
    return r.status === 200 && r.body.snapshot.status === status ? r.body.snapshot : undefined;
  }, timeoutMs);
}

/** Waits until GET answers 404. */
export async function waitGone(u: VolumeUser, path: string, timeoutMs = 10_000): Promise<void> {
  await eventually(async () => (await u.req('GET', path)).status === 404, timeoutMs);
}

/** Creates a volume and waits for it to be available; returns the shown volume. */
export async function makeVolume(u: VolumeUser, body: Record<string, unknown> = {}): Promise<any> {
  const r = await u.req('POST', '/volumes', { body: { volume: { size: 1, ...body } } });
  assert.equal(r.status, 202, r.text);
  return waitVolume(u, r.body.volume.id, 'available');
}

export async function makeSnapshot(u: VolumeUser, volumeId: string, body: Record<string, unknown> = {}): Promise<any> {
  const r = await u.req('POST', '/snapshots', { body: { snapshot: { volume_id: volumeId, ...body } } });
  assert.equal(r.status, 202, r.text);
  return waitSnapshot(u, r.body.snapshot.id, 'available');
}

/** Asserts a Cinder fault: status code and the fault key of the body. */
export function assertFault(r: Res, status: number, key: string): void {
  assert.equal(r.status, status, `${r.status} ${r.text}`);
  assert.ok(r.body && typeof r.body[key]?.message === 'string', `expected {"${key}": {...}}, got ${r.text}`);
  assert.equal(r.body[key].code, status);
}

export const VOLUME_KEYS = [
  'attachments', 'availability_zone', 'bootable', 'consistencygroup_id', 'created_at', 'description', 'encrypted', 'id', 'links',
  'metadata', 'multiattach', 'name', 'replication_status', 'size', 'snapshot_id', 'source_volid', 'status', 'updated_at', 'user_id', 'volume_type',
].sort();

export const SNAPSHOT_KEYS = ['created_at', 'description', 'id', 'metadata', 'name', 'size', 'status', 'updated_at', 'volume_id'].sort();

export function keys(o: object): string[] {
  return Object.keys(o).sort();
}
