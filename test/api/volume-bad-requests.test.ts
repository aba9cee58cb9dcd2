import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, type Res, type TestCloud } from '../support/cloud.js';
import { makeSnapshot, makeVolume, volumeUser, type VolumeUser } from './volume-helpers.js';

interface Case {
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  who?: 'demo' | 'reader' | 'admin' | 'none';
}

const FAULTS = ['badRequest', 'unauthorized', 'forbidden', 'itemNotFound', 'badMethod', 'notAcceptable', 'conflictingRequest', 'overLimit', 'badMediaType'];

/** Values of every JSON type and some awkward ones, for any field. */
const JUNK: unknown[] = [null, true, false, 0, -1, 1.5, 2 ** 53, '', ' ', 'x'.repeat(300), '\u0000', '💾', [], [1], {}, { a: 1 }, '-1', '0', 'abc', 'None'];

const BAD_IDS = ['not-a-uuid', '00000000-0000-0000-0000-000000000000', '%00', '..', '%2e%2e', 'x'.repeat(1000), '%F0%9F%92%BE', "'", '"', '%7B%7D', 'null'];

/** Bodies of the wrong shape altogether. */
const SHAPES: (unknown | { raw: string })[] = [null, [], 'volume', 42, true, {}, { raw: '{' }, { raw: '{"volume": ' }, { raw: 'not json' }, { raw: '[1,2' }, { raw: '"x"' }];

function bodyCase(method: string, path: string, body: unknown, who: Case['who'] = 'demo'): Case {
  if (body && typeof body === 'object' && 'raw' in (body as object)) return { method, path, raw: (body as { raw: string }).raw, headers: { 'content-type': 'application/json' }, who };
  return { method, path, body, who };
}

/** For each field, a body with that field set to each junk value (plus the required rest). */
function fieldCases(method: string, path: string, wrapper: string | null, base: Record<string, unknown>, fields: string[]): Case[] {
  const out: Case[] = [];
  for (const f of fields) {
    for (const v of JUNK) {
      const inner = { ...base, [f]: v };
      out.push({ method, path, body: wrapper ? { [wrapper]: inner } : inner });
    }
  }
  for (const s of SHAPES) out.push(bodyCase(method, path, s));
  out.push(bodyCase(method, path, wrapper ? { [wrapper]: 'x' } : 'x'), bodyCase(method, path, wrapper ? { [wrapper]: [] } : []));
  return out;
}

/** Wrong values in every field of every JSON body. */
function bodyCases(vol: string, snap: string, type: string, project: string): Case[] {
  const out: Case[] = [];
  const VOLUME_FIELDS = ['size', 'name', 'description', 'display_name', 'metadata', 'volume_type', 'availability_zone', 'imageRef', 'snapshot_id', 'source_volid', 'backup_id', 'multiattach'];
  out.push(...fieldCases('POST', '/volumes', 'volume', { size: 1 }, VOLUME_FIELDS));
  out.push(...fieldCases('PUT', `/volumes/${vol}`, 'volume', {}, ['name', 'description', 'metadata']));
  out.push(...fieldCases('POST', `/volumes/${vol}/metadata`, null, {}, ['metadata']));
  out.push(...fieldCases('PUT', `/volumes/${vol}/metadata`, null, {}, ['metadata']));
  out.push(...fieldCases('PUT', `/volumes/${vol}/metadata/k`, null, {}, ['meta']));
  out.push(...fieldCases('POST', '/snapshots', 'snapshot', { volume_id: vol }, ['volume_id', 'name', 'description', 'metadata', 'force']));
  out.push(...fieldCases('PUT', `/snapshots/${snap}`, 'snapshot', {}, ['name', 'description']));
  out.push(...fieldCases('POST', '/types', 'volume_type', { name: 'junk-type' }, ['name', 'description', 'extra_specs', 'os-volume-type-access:is_public']).map((c) => ({ ...c, who: 'admin' as const })));
  out.push(...fieldCases('PUT', `/types/${type}`, 'volume_type', {}, ['name', 'description', 'is_public']).map((c) => ({ ...c, who: 'admin' as const })));
  out.push(...fieldCases('POST', `/types/${type}/extra_specs`, null, {}, ['extra_specs']).map((c) => ({ ...c, who: 'admin' as const })));
  out.push(...fieldCases('PUT', `/os-quota-sets/${project}`, 'quota_set', {}, ['volumes', 'gigabytes', 'snapshots', 'bogus']).map((c) => ({ ...c, who: 'admin' as const })));
  return out;
}

/** Every volume action with wrong arguments, and actions that do not exist. */
function actionCases(vol: string, snap: string): Case[] {
  const out: Case[] = [];
  const ACTIONS: Record<string, string[]> = {
    'os-extend': ['new_size'],
    'os-attach': ['instance_uuid', 'host_name', 'mountpoint', 'mode'],
    'os-detach': ['attachment_id'],
    'os-initialize_connection': ['connector'],
    'os-terminate_connection': ['connector'],
    'os-set_bootable': ['bootable'],
    'os-update_readonly_flag': ['readonly'],
    'os-set_image_metadata': ['metadata'],
    'os-unset_image_metadata': ['key'],
    'os-reset_status': ['status', 'attach_status'],
  };
  for (const [name, fields] of Object.entries(ACTIONS)) {
    const who = name === 'os-reset_status' ? ('admin' as const) : ('demo' as const);
    for (const f of fields) for (const v of JUNK) out.push({ method: 'POST', path: `/volumes/${vol}/action`, body: { [name]: { [f]: v } }, who });
    for (const v of ['x', 1, [], true]) out.push({ method: 'POST', path: `/volumes/${vol}/action`, body: { [name]: v }, who });
  }
  for (const s of SHAPES) out.push(bodyCase('POST', `/volumes/${vol}/action`, s));
  out.push({ method: 'POST', path: `/volumes/${vol}/action`, body: { 'os-nope': {} } }, { method: 'POST', path: `/snapshots/${snap}/action`, body: { 'os-nope': {} }, who: 'admin' });
  return out;
}

/** Bad list parameters, bad ids in every path position, bad headers, callers without rights. */
function requestCases(vol: string, project: string): Case[] {
  const out: Case[] = [];
  const LISTS = ['/volumes', '/volumes/detail', '/snapshots', '/snapshots/detail'];
  const QUERIES = ['limit=abc', 'limit=-5', 'limit=1e3', 'marker=nope', 'sort=bogus', 'sort=name:up', 'sort=:', 'sort=,', 'sort_key=x', 'sort_dir=sideways', 'sort=name&sort_key=id',
    'bootable=maybe', 'metadata=garbage', 'metadata={', "metadata={'a': 1}", 'metadata=[]', 'all_tenants=perhaps', 'limit=99999999999999999999', 'marker=', 'name=%FF'];
  for (const l of LISTS) for (const q of QUERIES) out.push({ method: 'GET', path: `${l}?${q}` });
  for (const q of ['is_public=perhaps', 'is_public=']) out.push({ method: 'GET', path: `/types?${q}` });
  for (const q of ['usage=perhaps', 'usage=2']) out.push({ method: 'GET', path: `/os-quota-sets/${project}?${q}` });

  for (const id of BAD_IDS) {
    for (const [method, suffix, body] of [
      ['GET', '', undefined], ['PUT', '', { volume: { name: 'x' } }], ['DELETE', '', undefined], ['POST', '/action', { 'os-reserve': {} }],
      ['GET', '/metadata', undefined], ['POST', '/metadata', { metadata: { a: 'b' } }], ['GET', '/metadata/k', undefined], ['DELETE', '/metadata/k', undefined],
    ] as const) {
      out.push({ method, path: `/volumes/${id}${suffix}`, body }, { method, path: `/snapshots/${id}${suffix}`, body: body && 'volume' in body ? { snapshot: { name: 'x' } } : body });
    }
    out.push({ method: 'GET', path: `/types/${id}` }, { method: 'GET', path: `/types/${id}/extra_specs` }, { method: 'DELETE', path: `/types/${id}`, who: 'admin' });
    out.push({ method: 'GET', path: `/os-quota-sets/${id}` }, { method: 'PUT', path: `/os-quota-sets/${id}`, body: { quota_set: { volumes: 'x' } }, who: 'admin' });
  }
  for (const h of ['volume', 'volume 3.x', 'volume 99.99', 'volume -1.0', 'volume 3.0 extra', 'volume 3.00000000000000000001', ',,,', 'volume  ']) {
    out.push({ method: 'GET', path: '/volumes', headers: { 'openstack-api-version': h } }, { method: 'POST', path: '/volumes', body: { volume: { size: 1 } }, headers: { 'openstack-api-version': h } });
  }
  for (const ct of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    out.push({ method: 'POST', path: '/volumes', raw: 'size=1', headers: { 'content-type': ct } });
  }
  for (const who of ['none', 'reader'] as const) {
    out.push({ method: 'POST', path: '/volumes', body: { volume: { size: 1 } }, who }, { method: 'DELETE', path: `/volumes/${vol}`, who });
    out.push({ method: 'POST', path: '/types', body: { volume_type: { name: 'x' } }, who }, { method: 'PUT', path: `/os-quota-sets/${project}`, body: { quota_set: { volumes: 1 } }, who });
  }
  out.push({ method: 'POST', path: '/volumes', raw: `{"volume": {"size": 1, "name": "${'n'.repeat(200_000)}"}}`, headers: { 'content-type': 'application/json' } });
  out.push({ method: 'PATCH', path: `/volumes/${vol}` }, { method: 'POST', path: `/volumes/${vol}`, body: {} }, { method: 'PUT', path: '/volumes' });
  return out;
}

function cases(vol: string, snap: string, type: string, project: string): Case[] {
  return [...bodyCases(vol, snap, type, project), ...actionCases(vol, snap), ...requestCases(vol, project)];
}

describe('block storage: generated bad requests', () => {
  let c: TestCloud;
  let users: Record<'demo' | 'reader' | 'admin', VolumeUser>;
  let all: Case[];

  before(async () => {
    c = await startTestCloud();
    users = { demo: await volumeUser(c, 'demo'), reader: await volumeUser(c, 'demo_reader', 'demo'), admin: await volumeUser(c, 'admin', 'demo') };
    const vol = await makeVolume(users.demo);
    const snap = await makeSnapshot(users.demo, vol.id);
    const type = (await users.admin.req('POST', '/types', { body: { volume_type: { name: 'bad-requests-type' } } })).body.volume_type.id;
    all = cases(vol.id, snap.id, type, users.demo.projectId);
  });
  after(() => c?.close());

  it('answers at least 1,000 bad requests with 4xx faults in Cinder shape and never a 5xx', { timeout: 120_000 }, async (t) => {
    t.diagnostic(`${all.length} generated requests`);
    assert.ok(all.length >= 1000, `only ${all.length} cases generated`);
    const problems: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < all.length) {
        const k = all[next++]!;
        const path = `/volume/v3/${users.demo.projectId}${k.path}`;
        const token = k.who === 'none' ? undefined : users[k.who ?? 'demo'].token;
        let r: Res;
        try {
          r = await c.req(k.method, path, { token, body: k.body, raw: k.raw, headers: k.headers });
        } catch (e) {
          problems.push(`${k.method} ${k.path}: request failed: ${(e as Error).message}`);
          continue;
        }
        if (r.status >= 500) problems.push(`${k.method} ${k.path} ${JSON.stringify(k.body ?? k.raw)?.slice(0, 200)} → ${r.status} ${r.text.slice(0, 200)}`);
        else if (r.status >= 400 && !(r.body && FAULTS.some((f) => r.body[f]?.code === r.status))) problems.push(`${k.method} ${k.path} → ${r.status} not a Cinder fault: ${r.text.slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual(problems, [], `${problems.length} of ${all.length} requests misbehaved`);
    // The cloud still works afterwards.
    assert.equal((await users.demo.req('GET', '/volumes')).status, 200);
  });
});
