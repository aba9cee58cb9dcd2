import assert from 'node:assert/strict';
import { eventually, type Res, type TestCloud } from '../support/cloud.js';

/** Shared helpers for the compute API tests. */

export const NOVA = '/compute/v2.1';

/** Tempest's 2.1 key sets (tempest/lib/api_schema/response/compute/v2_1/servers.py). */
export const SERVER_REQUIRED = ['id', 'name', 'status', 'image', 'flavor', 'user_id', 'tenant_id', 'created', 'updated', 'metadata', 'links', 'addresses', 'hostId'];
export const SERVER_BASIC = [...SERVER_REQUIRED, 'progress', 'fault', 'OS-DCF:diskConfig', 'accessIPv4', 'accessIPv6'];
export const SERVER_DETAIL = [
  ...SERVER_BASIC,
  'key_name',
  'security_groups',
  'OS-SRV-USG:launched_at',
  'OS-SRV-USG:terminated_at',
  'OS-EXT-AZ:availability_zone',
  'OS-EXT-STS:task_state',
  'OS-EXT-STS:vm_state',
  'OS-EXT-STS:power_state',
  'OS-EXT-SRV-ATTR:host',
  'OS-EXT-SRV-ATTR:instance_name',
  'OS-EXT-SRV-ATTR:hypervisor_hostname',
  'os-extended-volumes:volumes_attached',
  'config_drive',
];

/** Every key is allowed and every required key is there. */
export function assertKeys(obj: Record<string, unknown>, allowed: string[], required: string[], what: string): void {
  const keys = Object.keys(obj);
  const extra = keys.filter((k) => !allowed.includes(k));
  const missing = required.filter((k) => !keys.includes(k));
  assert.deepEqual(extra, [], `${what}: keys not allowed at 2.1`);
  assert.deepEqual(missing, [], `${what}: required keys missing`);
}

/** Asserts Nova's error shape: `{"<fault>": {"code": status, "message": "..."}}`. */
export function assertFault(res: Res, status: number, fault?: string, what = ''): void {
  assert.equal(res.status, status, `${what} expected ${status}, got ${res.status}: ${res.text.slice(0, 300)}`);
  const b = res.body;
  assert.ok(b && typeof b === 'object', `${what} JSON error body: ${res.text.slice(0, 200)}`);
  const keys = Object.keys(b);
  assert.equal(keys.length, 1, `${what} one fault key: ${res.text.slice(0, 200)}`);
  if (fault) assert.equal(keys[0], fault, `${what} fault key`);
  const inner = b[keys[0]!];
  assert.equal(inner.code, status, `${what} code`);
  assert.equal(typeof inner.message, 'string');
}

export interface Nova {
  tc: TestCloud;
  admin: string;
  demo: string;
  alt: string;
  reader: string;
  image: string;
}

/** Uploads a small raw image (as a user would, through Glance) and returns its id. */
export async function uploadImage(tc: TestCloud, token: string, opts: { name?: string; bytes?: number; minRam?: number; minDisk?: number; visibility?: string } = {}): Promise<string> {
  const body: Record<string, unknown> = { name: opts.name ?? 'cirros-test', disk_format: 'raw', container_format: 'bare', visibility: opts.visibility ?? 'public' };
  if (opts.minRam !== undefined) body.min_ram = opts.minRam;
  if (opts.minDisk !== undefined) body.min_disk = opts.minDisk;
  const r = await tc.req('POST', '/image/v2/images', { token, body });
  assert.equal(r.status, 201, r.text);
  const up = await fetch(`${tc.url}/image/v2/images/${r.body.id}/file`, {
    method: 'PUT',
    headers: { 'x-auth-token': token, 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(opts.bytes ?? 4096, 0x5a),
  });
  assert.equal(up.status, 204);
  return r.body.id;
}

export async function setup(tc: TestCloud): Promise<Nova> {
  const [admin, demo, alt, reader] = await Promise.all([tc.token('admin'), tc.token('demo'), tc.token('alt_demo'), tc.token('demo_reader', 'demo')]);
  const image = await uploadImage(tc, admin);
  return { tc, admin, demo, alt, reader, image };
}

export async function showServer(n: Nova, token: string, id: string): Promise<Res> {
  return n.tc.req('GET', `${NOVA}/servers/${id}`, { token });
}

/** Waits until the server has `status` and no task; returns its body. */
export async function waitFor(n: Nova, token: string, id: string, status: string, timeoutMs = 5000, everyMs = 10): Promise<any> {
  return eventually(async () => {
    const r = await showServer(n, token, id);
    if (r.status !== 200) return undefined;
    const s = r.body.server;
    if (s.status === 'ERROR' && status !== 'ERROR') throw new Error(`server ${id} went to ERROR: ${JSON.stringify(s.fault)}`);
    return s.status === status && s['OS-EXT-STS:task_state'] === null ? s : undefined;
  }, timeoutMs, everyMs);
}

export async function waitGone(n: Nova, token: string, id: string, timeoutMs = 5000): Promise<void> {
  await eventually(async () => (await showServer(n, token, id)).status === 404, timeoutMs);
}

/** Creates a server (202 expected) and returns the create response body's server. */
export async function createServer(n: Nova, token: string, server: Record<string, unknown>): Promise<any> {
  const r = await n.tc.req('POST', `${NOVA}/servers`, { token, body: { server: { imageRef: n.image, flavorRef: '42', ...server } } });
  assert.equal(r.status, 202, `create: ${r.text}`);
  return r.body.server;
}

export async function bootActive(n: Nova, token: string, server: Record<string, unknown>): Promise<any> {
  const s = await createServer(n, token, server);
  return waitFor(n, token, s.id, 'ACTIVE');
}

export async function action(n: Nova, token: string, id: string, body: unknown): Promise<Res> {
  return n.tc.req('POST', `${NOVA}/servers/${id}/action`, { token, body });
}

export async function deleteServer(n: Nova, token: string, id: string): Promise<void> {
  const r = await n.tc.req('DELETE', `${NOVA}/servers/${id}`, { token });
  assert.ok(r.status === 204 || r.status === 404, r.text);
  await waitGone(n, token, id);
}
