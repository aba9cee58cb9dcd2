import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeNetworkDriver } from '../../src/drivers/network/fake.js';
import { startTestCloud, uniqueName, type TestCloud } from '../support/cloud.js';
import { Net } from './network-helpers.js';

/** Intent survives a restart, and the reconciler drives a fresh data plane back to it. */
describe('network: restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-net-restart-'));
  let c: TestCloud | undefined;
  after(async () => {
    await c?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every resource and re-ensures the data plane after a restart', async () => {
    c = await startTestCloud({ dataDir: dir });
    let demo = await Net.as(c, 'demo');
    const { net } = await demo.netWithSubnet(uniqueName('keep'), '10.44.0.0/24');
    const [pub] = await demo.list('networks', 'name=public');
    const r = await demo.create('routers', 'router', { name: uniqueName('keep'), external_gateway_info: { network_id: pub.id } });
    await demo.put(`/routers/${r.id}/add_router_interface`, { subnet_id: (await demo.list('subnets', `network_id=${net.id}`))[0].id });
    const port = await demo.create('ports', 'port', { network_id: net.id });
    const fip = await demo.create('floatingips', 'floatingip', { floating_network_id: pub.id, port_id: port.id });
    const before = (await demo.list('ports')).length;
    await c.cloud.networking.settle();
    await c.close();
    c = undefined;

    c = await startTestCloud({ dataDir: dir });
    demo = await Net.as(c, 'demo');
    assert.equal((await demo.list('networks', 'name=public')).length, 1);
    assert.equal((await demo.list('networks', 'name=private')).length, 1, 'defaults are not created twice');
    assert.equal((await demo.list('ports')).length, before);
    assert.equal((await demo.show('floatingips', 'floatingip', fip.id)).fixed_ip_address, port.fixed_ips[0].ip_address);
    await c.cloud.networking.settle();
    const fake = c.cloud.networking.driver as FakeNetworkDriver;
    assert.ok(fake.networks.has(net.id) && fake.routers.has(r.id) && fake.floatingIps.has(fip.id), 'the new driver was given everything again');
    assert.ok(fake.dhcp.has(net.id));
    const next = await demo.create('ports', 'port', { network_id: net.id });
    assert.notEqual(next.fixed_ips[0].ip_address, port.fixed_ips[0].ip_address, 'IPAM knows what was handed out before');
  });
});
