// The real `openstack` CLI (Debian's python3-openstackclient, network commands through the
// SDK) against an in-process Stratus. The CLI is spawned asynchronously: the cloud is served
// from this very process. clouds.yaml lives in a temp dir, named by OS_CLIENT_CONFIG_FILE.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { onPath, requireTools, run, cliEnv } from '../support/proc.js';

const TOOLS = [{ cmd: 'openstack', debPackage: 'python3-openstackclient' }];
type Row = Record<string, any>;

if (!TOOLS.every((x) => onPath(x.cmd))) {
  test('openstack network CLI against Stratus', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('openstack network CLI against Stratus', { concurrency: 3, timeout: 900_000 }, () => {
    let tc: TestCloud;
    let dir: string;
    let env: NodeJS.ProcessEnv;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stratus-netcli-'));
      tc = await startTestCloud({ sqlite: true });
      env = cliEnv(dir, tc.authUrl, { admin: 'admin', demo: 'demo', alt_demo: 'alt_demo' });
    });
    after(async () => {
      await tc?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    async function os(cloud: string, ...args: string[]): Promise<string> {
      const r = await run('openstack', ['--os-cloud', cloud, ...args], { env, timeoutMs: 90_000 });
      assert.equal(r.code, 0, `openstack ${args.join(' ')} → ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    }
    const json = async (cloud: string, ...args: string[]): Promise<Row> => JSON.parse(await os(cloud, ...args, '-f', 'json'));
    async function fails(cloud: string, pattern: RegExp, ...args: string[]): Promise<void> {
      const r = await run('openstack', ['--os-cloud', cloud, ...args], { env, timeoutMs: 90_000 });
      assert.notEqual(r.code, 0, `openstack ${args.join(' ')} should fail`);
      assert.match(r.stderr, pattern);
    }

    test('network and subnet: create, list, show, set, unset, delete', async () => {
      const name = uniqueName('cli-net');
      const net = await json('demo', 'network', 'create', '--description', 'd1', '--tag', 'blue', name);
      assert.equal(net.status, 'ACTIVE');
      assert.deepEqual(net.tags, ['blue']);
      assert.ok((await json('demo', 'network', 'list')).some((n: Row) => n.ID === net.id));
      await os('demo', 'network', 'set', '--name', `${name}-2`, '--mtu', '1400', '--no-share', name);
      await os('demo', 'network', 'unset', '--tag', 'blue', `${name}-2`);
      const shown = await json('demo', 'network', 'show', `${name}-2`);
      assert.deepEqual([shown.mtu, shown.tags], [1400, []]);
      const sub = await json('demo', 'subnet', 'create', '--network', `${name}-2`, '--subnet-range', '192.168.77.0/24', '--dns-nameserver', '8.8.8.8', `${name}-sub`);
      assert.deepEqual(sub.allocation_pools, [{ start: '192.168.77.2', end: '192.168.77.254' }]);
      await os('demo', 'subnet', 'set', '--dns-nameserver', '1.1.1.1', '--host-route', 'destination=10.9.0.0/16,gateway=192.168.77.254', `${name}-sub`);
      await os('demo', 'subnet', 'unset', '--dns-nameserver', '8.8.8.8', `${name}-sub`);
      const s2 = await json('demo', 'subnet', 'show', `${name}-sub`);
      assert.deepEqual(s2.dns_nameservers, ['1.1.1.1']);
      assert.deepEqual(s2.host_routes, [{ destination: '10.9.0.0/16', nexthop: '192.168.77.254' }]);
      assert.ok((await json('demo', 'subnet', 'list', '--network', `${name}-2`)).length === 1);
      await fails('demo', /overlaps with another subnet/, 'subnet', 'create', '--network', `${name}-2`, '--subnet-range', '192.168.77.0/25', 'dup');
      await os('demo', 'subnet', 'delete', `${name}-sub`);
      await os('demo', 'network', 'delete', `${name}-2`);
      await fails('demo', /No Network found/, 'network', 'show', `${name}-2`);
    });

    test('port: create, list, show, set, unset, delete', async () => {
      const name = uniqueName('cli-port');
      const port = await json('demo', 'port', 'create', '--network', 'private', '--fixed-ip', 'subnet=private-subnet,ip-address=10.0.0.40', name);
      assert.equal(port.fixed_ips[0].ip_address, '10.0.0.40');
      assert.match(port.mac_address, /^fa:16:3e:/);
      const group = await json('demo', 'security', 'group', 'create', name);
      await os('demo', 'port', 'set', '--security-group', group.id, '--allowed-address', 'ip-address=10.0.0.41', '--name', `${name}-2`, name);
      let shown = await json('demo', 'port', 'show', `${name}-2`);
      assert.equal(shown.security_group_ids.length, 2);
      assert.equal(shown.allowed_address_pairs[0].ip_address, '10.0.0.41');
      // OSC matches the pair as Neutron returns it, MAC included.
      await os('demo', 'port', 'unset', '--security-group', group.id, '--allowed-address', `ip-address=10.0.0.41,mac-address=${port.mac_address}`, `${name}-2`);
      shown = await json('demo', 'port', 'show', `${name}-2`);
      assert.equal(shown.security_group_ids.length, 1);
      assert.deepEqual(shown.allowed_address_pairs, []);
      assert.ok((await json('demo', 'port', 'list', '--network', 'private')).some((p: Row) => p.ID === port.id));
      await os('demo', 'port', 'delete', `${name}-2`);
      await os('demo', 'security', 'group', 'delete', group.id);
    });

    test('router, floating IP: external gateway, add subnet, floating ip create public, set --port', async () => {
      const name = uniqueName('cli-r');
      await json('demo', 'network', 'create', `${name}-net`);
      await json('demo', 'subnet', 'create', '--network', `${name}-net`, '--subnet-range', '10.66.0.0/24', `${name}-sub`);
      const r = await json('demo', 'router', 'create', name);
      assert.equal(r.status, 'ACTIVE');
      await os('demo', 'router', 'set', '--external-gateway', 'public', name);
      await os('demo', 'router', 'add', 'subnet', name, `${name}-sub`);
      const shown = await json('demo', 'router', 'show', name);
      assert.match(shown.external_gateway_info.external_fixed_ips[0].ip_address, /^172\.24\.4\./);
      assert.equal(shown.interfaces_info[0].ip_address, '10.66.0.1');
      await os('demo', 'router', 'set', '--route', 'destination=10.67.0.0/24,gateway=10.66.0.9', name);
      assert.equal((await json('demo', 'router', 'show', name)).routes.length, 1);
      await os('demo', 'router', 'unset', '--route', 'destination=10.67.0.0/24,gateway=10.66.0.9', name);
      const port = await json('demo', 'port', 'create', '--network', `${name}-net`, `${name}-vm`);
      const fip = await json('demo', 'floating', 'ip', 'create', 'public');
      assert.equal(fip.status, 'DOWN');
      await os('demo', 'floating', 'ip', 'set', '--port', `${name}-vm`, fip.floating_ip_address);
      const assoc = await json('demo', 'floating', 'ip', 'show', fip.floating_ip_address);
      assert.equal(assoc.fixed_ip_address, port.fixed_ips[0].ip_address);
      assert.equal(assoc.router_id, r.id);
      assert.ok((await json('demo', 'floating', 'ip', 'list')).some((f: Row) => f.ID === fip.id));
      await os('demo', 'floating', 'ip', 'unset', '--port', fip.floating_ip_address);
      assert.equal((await json('demo', 'floating', 'ip', 'show', fip.id)).port_id, null);
      await os('demo', 'floating', 'ip', 'delete', fip.id);
      await os('demo', 'port', 'delete', `${name}-vm`);
      await os('demo', 'router', 'remove', 'subnet', name, `${name}-sub`);
      await os('demo', 'router', 'unset', '--external-gateway', name);
      assert.equal((await json('demo', 'router', 'show', name)).external_gateway_info, null);
      await os('demo', 'router', 'delete', name);
      await os('demo', 'network', 'delete', `${name}-net`);
    });

    test('security group and rules: create, list, show, set, unset, delete', async () => {
      const name = uniqueName('cli-sg');
      const g = await json('demo', 'security', 'group', 'create', '--description', 'web', '--tag', 'x', name);
      const rule = await json('demo', 'security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', '--remote-ip', '0.0.0.0/0', name);
      assert.deepEqual([rule.port_range_min, rule.port_range_max, rule.protocol], [22, 22, 'tcp']);
      await fails('demo', /already exists/, 'security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port', '22', '--remote-ip', '0.0.0.0/0', name);
      await json('demo', 'security', 'group', 'rule', 'create', '--protocol', 'icmp', '--ingress', '--remote-group', name, name);
      const rules = await json('demo', 'security', 'group', 'rule', 'list', name);
      assert.equal(rules.length, 4);
      assert.equal((await json('demo', 'security', 'group', 'rule', 'show', rule.id)).id, rule.id);
      await os('demo', 'security', 'group', 'set', '--name', `${name}-2`, '--description', 'db', name);
      await os('demo', 'security', 'group', 'unset', '--tag', 'x', `${name}-2`);
      const shown = await json('demo', 'security', 'group', 'show', `${name}-2`);
      assert.deepEqual([shown.description, shown.tags], ['db', []]);
      assert.ok((await json('demo', 'security', 'group', 'list')).some((x: Row) => x.ID === g.id));
      await os('demo', 'security', 'group', 'rule', 'delete', rule.id);
      await os('demo', 'security', 'group', 'delete', `${name}-2`);
      const defaults = await json('alt_demo', 'security', 'group', 'list');
      assert.deepEqual(defaults.map((x: Row) => x.Name), ['default']);
    });

    test('admin views: external network, provider attributes, quotas, ip availability', async () => {
      const pub = await json('admin', 'network', 'show', 'public');
      assert.deepEqual([pub['router:external'], pub['provider:network_type'], pub['provider:physical_network']], [true, 'flat', 'public']);
      assert.equal((await json('demo', 'network', 'list', '--external')).length, 1);
      const avail = await json('admin', 'ip', 'availability', 'show', 'public');
      assert.equal(avail.total_ips, 253);
      await fails('demo', /HttpException: 403|Forbidden|disallowed/i, 'network', 'create', '--external', uniqueName('nope'));
    });
  });
}
