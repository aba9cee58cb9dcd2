import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeNetworkDriver } from '../../src/drivers/network/fake.js';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { assertNeutronError, Net } from './network-helpers.js';

/** Stateless security groups (`stateful-security-group`) over real HTTP: one kind of group per port. */
describe('network: stateless security groups', () => {
  let c: TestCloud;
  let demo: Net;
  let fake: FakeNetworkDriver;

  before(async () => {
    c = await startTestCloud();
    demo = await Net.as(c, 'demo');
    fake = c.cloud.networking.driver as FakeNetworkDriver;
  });
  after(() => c.close());

  it('refuses a port mixing stateful and stateless groups with 409 SecurityGroupConflict, on create and update', async () => {
    const [priv] = await demo.list('networks', 'name=private');
    const free = await demo.create('security-groups', 'security_group', { name: uniqueName('sl'), stateful: false });
    const kept = await demo.create('security-groups', 'security_group', { name: uniqueName('sf') });
    assert.equal(free.stateful, false);
    assert.equal(kept.stateful, true);
    const mixed = await demo.post('/ports', { port: { network_id: priv.id, security_groups: [free.id, kept.id] } });
    assertNeutronError(mixed, 409, 'SecurityGroupConflict');
    assert.match(JSON.stringify(mixed.body), /stateful and stateless/);
    const p = await demo.create('ports', 'port', { network_id: priv.id, security_groups: [free.id] });
    assertNeutronError(await demo.put(`/ports/${p.id}`, { port: { security_groups: [free.id, kept.id] } }), 409, 'SecurityGroupConflict');
    assertNeutronError(await demo.put(`/security-groups/${free.id}`, { security_group: { stateful: true } }), 409, 'SecurityGroupInUse');
    await c.cloud.networking.settle();
    assert.equal(fake.securityGroups.get(free.id)?.stateful, false, 'the driver is told the group is stateless');
    await demo.remove('ports', p.id);
    const again = await demo.update('security-groups', 'security_group', free.id, { stateful: true });
    assert.equal(again.stateful, true, 'an unused group may switch');
  });
});
