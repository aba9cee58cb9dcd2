import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { N, Net } from './network-helpers.js';

interface Case {
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  token?: string | null;
}

/** Values of every wrong type and shape, for every attribute. */
const BAD_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53,
  '',
  'x',
  'ü'.repeat(300),
  [],
  ['a', 1],
  {},
  { a: { b: [] } },
  '999.1.1.1',
  '10.0.0.0/33',
  '::g',
  'fa:16:3e:zz:00:00',
  '../../etc',
  '%00',
];

/** Attributes per resource that POST or PUT accept, and some they do not. */
const ATTRS: Record<string, string[]> = {
  network: ['name', 'admin_state_up', 'shared', 'router:external', 'mtu', 'port_security_enabled', 'provider:network_type', 'provider:segmentation_id', 'availability_zone_hints', 'tags', 'id', 'status'],
  subnet: ['network_id', 'cidr', 'ip_version', 'gateway_ip', 'allocation_pools', 'dns_nameservers', 'host_routes', 'enable_dhcp', 'ipv6_ra_mode', 'subnetpool_id', 'prefixlen'],
  port: ['network_id', 'mac_address', 'fixed_ips', 'security_groups', 'allowed_address_pairs', 'binding:profile', 'binding:vnic_type', 'extra_dhcp_opts', 'dns_name', 'device_owner'],
  router: ['name', 'external_gateway_info', 'routes', 'distributed', 'admin_state_up'],
  floatingip: ['floating_network_id', 'floating_ip_address', 'port_id', 'fixed_ip_address', 'subnet_id', 'dns_name'],
  security_group: ['name', 'description', 'stateful', 'tenant_id'],
  security_group_rule: ['security_group_id', 'direction', 'ethertype', 'protocol', 'port_range_min', 'port_range_max', 'remote_ip_prefix', 'remote_group_id'],
  subnetpool: ['prefixes', 'default_prefixlen', 'min_prefixlen', 'max_prefixlen', 'is_default'],
};
const COLLECTIONS: Record<string, string> = {
  network: 'networks',
  subnet: 'subnets',
  port: 'ports',
  router: 'routers',
  floatingip: 'floatingips',
  security_group: 'security-groups',
  security_group_rule: 'security-group-rules',
  subnetpool: 'subnetpools',
};

const BAD_QUERIES = ['limit=-1', 'limit=abc', 'sort_key=bogus', 'sort_dir=sideways&sort_key=name', 'sort_key=name&sort_key=id&sort_dir=asc', 'marker=nope&limit=1', 'page_reverse=maybe&limit=2', 'changed_since=yesterday', 'admin_state_up=maybe', 'router:external=perhaps', 'fields=', 'tags=,,,', 'fixed_ips=garbage', 'id=%00', 'name=%ff'];
const BAD_IDS = ['private', '00000000-0000-0000-0000-000000000000', '%2e%2e%2f', 'x'.repeat(900), '1;DROP TABLE', 'ü'];

/** Generated cases: bad bodies on create and update, bad ids, bad queries, bad envelopes. */
function generate(ids: Record<string, string>, demoToken: string): Case[] {
  const out: Case[] = [];
  for (const [member, attrs] of Object.entries(ATTRS)) {
    const coll = COLLECTIONS[member]!;
    for (const a of attrs)
      for (const v of BAD_VALUES) {
        out.push({ method: 'POST', path: `/${coll}`, body: { [member]: { [a]: v } } });
        out.push({ method: 'PUT', path: `/${coll}/${ids[member]}`, body: { [member]: { [a]: v } } });
      }
    for (const body of [null, [], 'x', 1, {}, { [member]: null }, { [member]: [] }, { [`${coll}`]: [] }, { [`${coll}`]: [null] }, { wrong: {} }])
      out.push({ method: 'POST', path: `/${coll}`, body }, { method: 'PUT', path: `/${coll}/${ids[member]}`, body });
    out.push({ method: 'POST', path: `/${coll}`, raw: '{"broken": ', headers: { 'content-type': 'application/json' } });
    out.push({ method: 'POST', path: `/${coll}`, raw: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    out.push({ method: 'POST', path: `/${coll}`, raw: JSON.stringify({ [member]: { name: 'x'.repeat(200_000) } }), headers: { 'content-type': 'application/json' } });
    for (const q of BAD_QUERIES) out.push({ method: 'GET', path: `/${coll}?${q}` });
    for (const id of BAD_IDS) {
      out.push({ method: 'GET', path: `/${coll}/${encodeURIComponent(id)}` });
      out.push({ method: 'PUT', path: `/${coll}/${encodeURIComponent(id)}`, body: { [member]: { name: 'x' } } });
      out.push({ method: 'DELETE', path: `/${coll}/${encodeURIComponent(id)}` });
    }
    out.push({ method: 'PUT', path: `/${coll}/${ids[member]}`, body: { [member]: {} }, headers: { 'if-match': 'revision_number=x' } });
    out.push({ method: 'GET', path: `/${coll}`, token: null });
    out.push({ method: 'GET', path: `/${coll}`, token: 'not-a-token' });
    out.push({ method: 'PATCH', path: `/${coll}/${ids[member]}`, body: {} });
    out.push({ method: 'PUT', path: `/${coll}/${ids[member]}/tags`, body: { tags: [1, {}, 'a,b'] } });
    out.push({ method: 'PUT', path: `/${coll}/${ids[member]}/tags/${'t'.repeat(300)}` });
  }
  for (const action of ['add_router_interface', 'remove_router_interface'])
    for (const body of [null, {}, { subnet_id: 'x' }, { port_id: 1 }, { subnet_id: ids.subnet, port_id: ids.port }, { subnet_id: ids.subnet, extra: 1 }, [], 'x'])
      out.push({ method: 'PUT', path: `/routers/${ids.router}/${action}`, body });
  for (const v of BAD_VALUES) out.push({ method: 'PUT', path: `/quotas/${ids.project}`, body: { quota: { network: v } } });
  for (const body of [null, {}, { quota: [] }, { quota: { nonsense: 1 } }]) out.push({ method: 'PUT', path: `/quotas/${ids.project}`, body });
  for (const path of ['/agents/x/l3-routers', '/agents/x/dhcp-networks', '/metering/metering-labels', '/metering/metering-label-rules'])
    for (const body of [null, {}, { router_id: 'x' }, { metering_label: { name: 5 } }]) out.push({ method: 'POST', path, body });
  // A member of another project pokes at admin-owned things.
  for (const c of out.slice(0, 200)) out.push({ ...c, token: demoToken });
  return out;
}

/**
 * A generated storm of bad requests against every networking route: whatever is wrong, the
 * answer is a 4xx in Neutron's error shape, never a 5xx, and the service keeps working.
 */
describe('network: generated bad input', () => {
  let c: TestCloud;
  let admin: Net;
  let demo: Net;
  const ids: Record<string, string> = {};

  before(async () => {
    c = await startTestCloud();
    admin = await Net.as(c, 'admin');
    demo = await Net.as(c, 'demo');
    const { net, sub } = await admin.netWithSubnet(uniqueName('bad'), '10.90.0.0/24');
    ids.network = net.id;
    ids.subnet = sub.id;
    ids.port = (await admin.create('ports', 'port', { network_id: net.id })).id;
    ids.router = (await admin.create('routers', 'router', { name: uniqueName('bad') })).id;
    const [pub] = await admin.list('networks', 'name=public');
    ids.floatingip = (await admin.create('floatingips', 'floatingip', { floating_network_id: pub.id })).id;
    ids.security_group = (await admin.create('security-groups', 'security_group', { name: uniqueName('bad') })).id;
    ids.security_group_rule = (await admin.create('security-group-rules', 'security_group_rule', { security_group_id: ids.security_group, direction: 'ingress', protocol: 'tcp' })).id;
    ids.subnetpool = (await admin.create('subnetpools', 'subnetpool', { name: uniqueName('bad'), prefixes: ['10.91.0.0/16'] })).id;
    ids.project = pub.project_id;
  });
  after(() => c.close());

  it('answers ≥1,000 bad requests with 4xx in Neutron’s shape and never a 5xx', async (t) => {
    const cases = generate(ids, demo.token);
    assert.ok(cases.length >= 1000, `${cases.length} cases`);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const k = cases[i]!;
        const token = k.token === undefined ? admin.token : k.token ?? undefined;
        const r = await c.req(k.method, `${N}${k.path}`, { token, body: k.body, raw: k.raw, headers: k.headers });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        const shaped = r.status < 400 || (r.body && typeof r.body.NeutronError?.type === 'string');
        if (r.status >= 500 || !shaped) failures.push(`${k.method} ${k.path.slice(0, 80)} ${JSON.stringify(k.body)?.slice(0, 80)} → ${r.status} ${r.text.slice(0, 120)}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures; statuses ${JSON.stringify([...statuses])}`);
    const fours = [...statuses].filter(([s]) => s >= 400).reduce((t, [, n]) => t + n, 0);
    assert.ok(fours >= 1000, `at least 1,000 refusals (${fours})`);
    t.diagnostic(`${cases.length} requests; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    // Still healthy: the fixtures are intact and the API answers.
    assert.equal((await admin.show('networks', 'network', ids.network!)).id, ids.network);
    assert.equal((await c.req('GET', '/health')).status, 200);
  });
});
