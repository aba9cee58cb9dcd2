import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeNetworkDriver } from '../../src/drivers/network/fake.js';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertNeutronError, Net, projectOf } from './network-helpers.js';

/** Security groups and rules over real HTTP. */
describe('network: security groups', () => {
  let c: TestCloud;
  let admin: Net;
  let demo: Net;
  let fake: FakeNetworkDriver;

  before(async () => {
    c = await startTestCloud();
    admin = await Net.as(c, 'admin');
    demo = await Net.as(c, 'demo');
    fake = c.cloud.networking.driver as FakeNetworkDriver;
  });
  after(() => c.close());

  it('creates a project’s default group on first use, with Neutron’s four rules', async () => {
    const proj = await c.req('POST', '/identity/v3/projects', { token: admin.token, body: { project: { name: uniqueName('sgp'), domain_id: 'default' } } });
    const projectId = proj.body.project.id;
    const groups = await admin.list('security-groups', `tenant_id=${projectId}&name=default`);
    assert.equal(groups.length, 1);
    const rules = groups[0].security_group_rules.map((r: any) => `${r.direction} ${r.ethertype} ${r.remote_group_id === groups[0].id ? 'self' : r.remote_group_id}`).sort();
    assert.deepEqual(rules, ['egress IPv4 null', 'egress IPv6 null', 'ingress IPv4 self', 'ingress IPv6 self']);
    assert.equal((await admin.list('security-groups', `tenant_id=${projectId}&name=default`)).length, 1, 'only one default group');
    assert.equal((await admin.del(`/security-groups/${groups[0].id}`)).status, 204, 'admins may remove a default group');
    const [mine] = await demo.list('security-groups', 'name=default');
    assertNeutronError(await demo.del(`/security-groups/${mine.id}`), 409, 'SecurityGroupCannotRemoveDefault');
    assertNeutronError(await demo.put(`/security-groups/${mine.id}`, { security_group: { name: 'other' } }), 409, 'SecurityGroupCannotUpdateDefault');
    assertNeutronError(await demo.post('/security-groups', { security_group: { name: 'default' } }), 409, 'SecurityGroupDefaultAlreadyExists');
  });

  it('creates groups with egress rules, and rules by name, number, prefix or remote group', async () => {
    const g = await demo.create('security-groups', 'security_group', { name: uniqueName('sg'), description: 'web' });
    assert.equal(g.security_group_rules.length, 2);
    assert.ok(g.security_group_rules.every((r: any) => r.direction === 'egress'));
    const ssh = await demo.create('security-group-rules', 'security_group_rule', {
      security_group_id: g.id,
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: 'tcp',
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: '10.0.0.5/8',
    });
    assert.equal(ssh.remote_ip_prefix, '10.0.0.0/8');
    assertNeutronError(
      await demo.post('/security-group-rules', { security_group_rule: { security_group_id: g.id, direction: 'ingress', protocol: '6', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '10.0.0.0/8' } }),
      409,
      'SecurityGroupRuleExists',
    );
    const udp = await demo.create('security-group-rules', 'security_group_rule', { security_group_id: g.id, direction: 'ingress', protocol: 17, remote_group_id: g.id });
    assert.equal(udp.protocol, '17');
    const icmp = await demo.create('security-group-rules', 'security_group_rule', { security_group_id: g.id, direction: 'ingress', protocol: 'icmp', port_range_min: 8, port_range_max: 0 });
    assert.deepEqual([icmp.port_range_min, icmp.port_range_max], [8, 0]);
    const bad: [Record<string, unknown>, string][] = [
      [{ protocol: 'bogus' }, 'SecurityGroupRuleInvalidProtocol'],
      [{ protocol: 'tcp', port_range_min: 80, port_range_max: 79 }, 'SecurityGroupInvalidPortRange'],
      [{ protocol: 'tcp', port_range_min: -16, port_range_max: 80 }, 'SecurityGroupInvalidPortValue'],
      [{ protocol: 'icmp', port_range_min: 1, port_range_max: 256 }, 'SecurityGroupInvalidIcmpValue'],
      [{ protocol: 'icmp', port_range_max: 6 }, 'SecurityGroupMissingIcmpType'],
      [{ remote_ip_prefix: '10.0.0.0/8', remote_group_id: g.id }, 'SecurityGroupRemoteGroupAndRemoteIpPrefix'],
      [{ ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' }, 'SecurityGroupRuleParameterConflict'],
      [{ ethertype: 'IPv4', protocol: 'ipv6-icmp' }, 'SecurityGroupEthertypeConflictWithProtocol'],
      [{ port_range_min: 1, port_range_max: 2 }, 'SecurityGroupProtocolRequiredWithPorts'],
      [{ ethertype: 'IPv5' }, 'HTTPBadRequest'],
    ];
    for (const [extra, type] of bad) assertNeutronError(await demo.post('/security-group-rules', { security_group_rule: { security_group_id: g.id, direction: 'ingress', ...extra } }), 400, type);
    assertNeutronError(await demo.post('/security-group-rules', { security_group_rule: { security_group_id: '2c4f8e3a-1111-4222-8333-444455556666', direction: 'ingress' } }), 404, 'SecurityGroupNotFound');
    const shown = await demo.show('security-group-rules', 'security_group_rule', ssh.id);
    assert.deepEqual(shown, ssh);
    await c.cloud.networking.settle();
    const spec = fake.securityGroups.get(g.id)!;
    assert.equal(spec.rules.length, 5);
    assert.ok(spec.rules.some((r) => r.protocol === 6 && r.portRangeMin === 22));
    const renamed = await demo.update('security-groups', 'security_group', g.id, { name: `${g.name}-2`, description: 'new' });
    assert.equal(renamed.description, 'new');
    await demo.remove('security-group-rules', ssh.id);
    assertNeutronError(await demo.get(`/security-group-rules/${ssh.id}`), 404, 'SecurityGroupRuleNotFound');
    await demo.remove('security-groups', g.id);
    assert.ok(!(await demo.list('security-group-rules')).some((r) => r.security_group_id === g.id), 'rules go with their group');
  });

  it('refuses to delete a group in use, and removes rules that point at a deleted group', async () => {
    const [priv] = await demo.list('networks', 'name=private');
    const a = await demo.create('security-groups', 'security_group', { name: uniqueName('a') });
    const b = await demo.create('security-groups', 'security_group', { name: uniqueName('b') });
    const viaB = await demo.create('security-group-rules', 'security_group_rule', { security_group_id: a.id, direction: 'ingress', remote_group_id: b.id });
    const port = await demo.create('ports', 'port', { network_id: priv.id, security_groups: [b.id] });
    assertNeutronError(await demo.del(`/security-groups/${b.id}`), 409, 'SecurityGroupInUse');
    await demo.update('ports', 'port', port.id, { security_groups: [a.id] });
    await demo.remove('security-groups', b.id);
    assertNeutronError(await demo.get(`/security-group-rules/${viaB.id}`), 404);
    await c.cloud.networking.settle();
    assert.deepEqual(fake.securityGroups.get(a.id)!.memberIps, [port.fixed_ips[0].ip_address]);
    await demo.remove('ports', port.id);
    await demo.remove('security-groups', a.id);
    const demoProject = await projectOf(c, demo.token);
    assert.ok((await admin.list('security-groups', `tenant_id=${demoProject}`)).every((g) => g.project_id === demoProject));
  });
});
