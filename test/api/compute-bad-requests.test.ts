// Over a thousand generated bad requests against the compute API: every one gets a 4xx in
// Nova's fault shape (or a 2xx where the junk happens to be valid), never a 5xx.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type Res, type TestCloud } from '../support/cloud.js';
import { bootActive, NOVA, setup, type Nova } from './compute-helpers.js';

interface Case {
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  who?: 'demo' | 'reader' | 'admin' | 'none';
}

const FAULTS = ['badRequest', 'unauthorized', 'forbidden', 'itemNotFound', 'badMethod', 'notAcceptable', 'conflictingRequest', 'overLimit', 'badMediaType'];

/** Values of every JSON type and some awkward ones. */
const JUNK: unknown[] = [null, true, false, 0, -1, 1.5, 2 ** 53, '', ' ', 'x'.repeat(300), '\u0000', '💾', [], [1], {}, { a: 1 }, '-1', 'abc', 'None', [{ uuid: 'x' }]];

const BAD_IDS = ['not-a-uuid', '00000000-0000-0000-0000-000000000000', '%00', '..', '%2e%2e', 'x'.repeat(1000), '%F0%9F%92%BE', "'", '%22', 'null', '1%20OR%201=1'];

/** Bodies of the wrong shape altogether (`raw` is sent as is, as JSON). */
const SHAPES: unknown[] = [null, [], 'server', 42, true, {}, { raw: '{' }, { raw: '{"server": ' }, { raw: 'not json' }, { raw: '[1,2' }, { raw: '"x"' }];

function shapeCases(method: string, path: string, who: Case['who'] = 'demo'): Case[] {
  return SHAPES.map((s) =>
    s && typeof s === 'object' && 'raw' in s ? { method, path, raw: (s as { raw: string }).raw, headers: { 'content-type': 'application/json' }, who } : { method, path, body: s, who },
  );
}

/** For each field, a body with that field set to each junk value (plus the required rest). */
function fieldCases(method: string, path: string, wrapper: string | null, base: Record<string, unknown>, fields: string[], who: Case['who'] = 'demo'): Case[] {
  const out: Case[] = [];
  for (const f of fields) {
    for (const v of JUNK) {
      const inner = { ...base, [f]: v };
      out.push({ method, path, body: wrapper ? { [wrapper]: inner } : inner, who });
    }
  }
  out.push(...shapeCases(method, path, who));
  if (wrapper) out.push({ method, path, body: { [wrapper]: 'x' }, who }, { method, path, body: { [wrapper]: [] }, who });
  return out;
}

const SERVER_FIELDS = [
  'name', 'imageRef', 'flavorRef', 'adminPass', 'metadata', 'networks', 'OS-DCF:diskConfig', 'accessIPv4', 'accessIPv6', 'personality', 'availability_zone',
  'block_device_mapping', 'block_device_mapping_v2', 'config_drive', 'key_name', 'min_count', 'max_count', 'return_reservation_id', 'security_groups', 'user_data',
];

const ACTIONS = [
  'os-start', 'os-stop', 'reboot', 'pause', 'unpause', 'suspend', 'resume', 'lock', 'unlock', 'rebuild', 'resize', 'confirmResize', 'revertResize',
  'createImage', 'os-getConsoleOutput', 'addSecurityGroup', 'removeSecurityGroup', 'forceDelete', 'restore', 'os-resetState',
];

function createCases(n: Nova): Case[] {
  const base = { name: 'fuzz', imageRef: n.image, flavorRef: '42', networks: 'none' };
  const out = fieldCases('POST', '/servers', 'server', base, SERVER_FIELDS);
  for (const v of JUNK) {
    out.push({ method: 'POST', path: '/servers', body: { server: { ...base, networks: [{ uuid: v }] } } });
    out.push({ method: 'POST', path: '/servers', body: { server: { ...base, networks: [{ port: v }] } } });
    out.push({ method: 'POST', path: '/servers', body: { server: { ...base, networks: [{ uuid: crypto.randomUUID(), fixed_ip: v }] } } });
    out.push({ method: 'POST', path: '/servers', body: { server: { ...base, security_groups: [{ name: v }] } } });
    out.push({ method: 'POST', path: '/servers', body: { server: { ...base, 'os:scheduler_hints': { group: v } }, 'os:scheduler_hints': { group: v } } });
    for (const f of ['source_type', 'destination_type', 'uuid', 'boot_index', 'volume_size', 'delete_on_termination', 'device_name']) {
      out.push({ method: 'POST', path: '/servers', body: { server: { ...base, imageRef: '', block_device_mapping_v2: [{ source_type: 'volume', destination_type: 'volume', uuid: crypto.randomUUID(), boot_index: 0, [f]: v }] } } });
    }
  }
  return out;
}

function serverCases(id: string): Case[] {
  const out: Case[] = [];
  out.push(...fieldCases('PUT', `/servers/${id}`, 'server', {}, ['name', 'accessIPv4', 'accessIPv6', 'OS-DCF:diskConfig', 'bogus']));
  for (const a of ACTIONS) {
    for (const v of JUNK) out.push({ method: 'POST', path: `/servers/${id}/action`, body: { [a]: v } });
  }
  out.push(...shapeCases('POST', `/servers/${id}/action`));
  out.push(...fieldCases('POST', `/servers/${id}/action`, 'rebuild', { imageRef: crypto.randomUUID() }, ['imageRef', 'name', 'metadata', 'accessIPv4', 'adminPass']));
  out.push(...fieldCases('POST', `/servers/${id}/metadata`, null, {}, ['metadata']));
  out.push(...fieldCases('PUT', `/servers/${id}/metadata`, null, {}, ['metadata']));
  out.push(...fieldCases('PUT', `/servers/${id}/metadata/k`, null, {}, ['meta']));
  out.push(...fieldCases('POST', `/servers/${id}/os-volume_attachments`, 'volumeAttachment', { volumeId: crypto.randomUUID() }, ['volumeId', 'device']));
  // NOTE: '..' would be resolved by the URL parser into a DELETE of the server itself.
  for (const bad of BAD_IDS.filter((b) => !/^(\.\.|%2e%2e)$/i.test(b))) {
    out.push({ method: 'GET', path: `/servers/${id}/metadata/${bad}` }, { method: 'DELETE', path: `/servers/${id}/os-volume_attachments/${bad}` });
    out.push({ method: 'GET', path: `/servers/${id}/os-instance-actions/${bad}` }, { method: 'GET', path: `/servers/${id}/ips/${bad}` });
  }
  return out;
}

function otherCases(project: string): Case[] {
  const out: Case[] = [];
  out.push(...fieldCases('POST', '/os-keypairs', 'keypair', { name: 'fuzz-kp' }, ['name', 'public_key', 'type']));
  out.push(...fieldCases('POST', '/flavors', 'flavor', { name: 'fuzz-flv', ram: 64, vcpus: 1, disk: 0 }, ['name', 'ram', 'vcpus', 'disk', 'id', 'swap', 'rxtx_factor', 'os-flavor-access:is_public'], 'admin'));
  out.push(...fieldCases('POST', '/flavors/42/os-extra_specs', 'extra_specs', {}, ['a', 'hw:cpu'], 'admin'));
  out.push(...fieldCases('POST', '/flavors/42/action', 'addTenantAccess', {}, ['tenant'], 'admin'));
  out.push(...fieldCases('PUT', `/os-quota-sets/${project}`, 'quota_set', {}, ['instances', 'cores', 'ram', 'bogus'], 'admin'));
  out.push(...fieldCases('POST', '/os-server-groups', 'server_group', { name: 'g', policies: ['affinity'] }, ['name', 'policies']));
  out.push(...fieldCases('PUT', '/os-services/disable', null, { host: 'h', binary: 'nova-compute' }, ['host', 'binary'], 'admin'));
  for (const bad of BAD_IDS) {
    for (const p of ['/servers', '/flavors', '/os-keypairs', '/os-server-groups', '/os-hypervisors', '/os-quota-sets', '/os-simple-tenant-usage']) {
      out.push({ method: 'GET', path: `${p}/${bad}`, who: 'admin' });
    }
    for (const p of ['/servers', '/os-keypairs', '/os-server-groups']) out.push({ method: 'DELETE', path: `${p}/${bad}` });
    out.push({ method: 'POST', path: `/servers/${bad}/action`, body: { 'os-stop': null } }, { method: 'PUT', path: `/servers/${bad}`, body: { server: { name: 'x' } } });
  }
  const QUERIES = ['limit=abc', 'limit=-1', 'limit=1e9', 'marker=nope', 'changes-since=yesterday', 'changes-since=2011/01/01', 'status=%00', 'name=(', 'name=[', 'name=*',
    'all_tenants=maybe', 'image=%00', 'flavor=..', 'ip=(', 'sort_key=bogus', 'deleted=maybe', 'limit=', 'marker='];
  for (const q of QUERIES) for (const p of ['/servers', '/servers/detail']) for (const who of ['demo', 'admin'] as const) out.push({ method: 'GET', path: `${p}?${q}`, who });
  for (const q of ['minRam=abc', 'minDisk=-1', 'is_public=maybe', 'limit=x', 'marker=nope']) for (const p of ['/flavors', '/flavors/detail']) out.push({ method: 'GET', path: `${p}?${q}`, who: 'admin' });
  for (const q of ['start=x', 'end=x', 'start=2030-01-01&end=2020-01-01', 'detailed=maybe']) out.push({ method: 'GET', path: `/os-simple-tenant-usage?${q}`, who: 'admin' });
  for (const v of ['2.0', '2.2', '3.0', 'latest.1', 'x', '2', '', '2.1.1', '99.99']) out.push({ method: 'GET', path: '/servers', headers: { 'x-openstack-nova-api-version': v } }, { method: 'GET', path: '/flavors', headers: { 'openstack-api-version': `compute ${v}` } });
  for (const who of ['none', 'reader'] as const) {
    out.push({ method: 'POST', path: '/servers', body: { server: { name: 'x', flavorRef: '1', imageRef: 'x' } }, who }, { method: 'POST', path: '/os-keypairs', body: { keypair: { name: 'x' } }, who });
  }
  out.push({ method: 'POST', path: '/servers', raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  out.push({ method: 'POST', path: '/servers', raw: '<server/>', headers: { 'content-type': 'application/xml' } });
  out.push({ method: 'POST', path: '/servers', raw: JSON.stringify({ server: { name: 'x'.repeat(200_000) } }), headers: { 'content-type': 'application/json' } });
  out.push({ method: 'PATCH', path: '/servers' }, { method: 'DELETE', path: '/flavors' }, { method: 'PUT', path: '/os-keypairs' });
  return out;
}

describe('compute API: generated bad requests', () => {
  let tc: TestCloud;
  let n: Nova;
  let server: string;
  let project: string;
  before(async () => {
    tc = await startTestCloud();
    n = await setup(tc);
    server = (await bootActive(n, n.demo, { name: 'fuzz-target' })).id;
    project = (await tc.req('GET', '/identity/v3/auth/tokens', { token: n.admin, headers: { 'x-subject-token': n.demo } })).body.token.project.id;
  });
  after(() => tc?.close());

  const send = (c: Case): Promise<Res> => {
    const token = c.who === 'none' ? undefined : c.who === 'admin' ? n.admin : c.who === 'reader' ? n.reader : n.demo;
    const o: Parameters<TestCloud['req']>[2] = { headers: c.headers ?? {} };
    if (token) o.token = token;
    if (c.raw !== undefined) o.raw = c.raw;
    else if (c.body !== undefined) o.body = c.body;
    return tc.req(c.method, `${NOVA}${c.path}`, o);
  };

  test('at least 1,000 bad requests, zero 5xx, every error in Nova shape', { timeout: 300_000 }, async (t) => {
    const all = [...createCases(n), ...serverCases(server), ...otherCases(project)];
    assert.ok(all.length >= 1000, `only ${all.length} cases`);
    t.diagnostic(`${all.length} requests`);
    const failures: string[] = [];
    for (let i = 0; i < all.length; i += 16) {
      const batch = all.slice(i, i + 16);
      const results = await Promise.all(batch.map(send));
      results.forEach((r, j) => {
        const c = batch[j]!;
        const label = `${c.method} ${c.path.slice(0, 80)} ${JSON.stringify(c.body ?? c.raw ?? '').slice(0, 120)} → ${r.status}`;
        if (r.status >= 500) failures.push(`${label}: ${r.text.slice(0, 200)}`);
        else if (r.status >= 400 && !(r.body && typeof r.body === 'object' && FAULTS.includes(Object.keys(r.body)[0]!))) failures.push(`${label}: not a Nova fault: ${r.text.slice(0, 200)}`);
      });
    }
    assert.deepEqual(failures, [], `${failures.length} of ${all.length} requests misbehaved`);
    // The target server survived the barrage in a sane state.
    const shown = await tc.req('GET', `${NOVA}/servers/${server}`, { token: n.admin });
    assert.equal(shown.status, 200, shown.text);
    const s = shown.body.server;
    assert.ok(['ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED', 'VERIFY_RESIZE', 'REBOOT', 'HARD_REBOOT', 'ERROR'].includes(s.status), s.status);
  });
});
