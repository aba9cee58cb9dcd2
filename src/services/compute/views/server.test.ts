import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deepFreeze } from '../../../store/store.js';
import type { Server } from '../logic/models.js';
import { serverDetail, serverDetailJson, type ServerViewCtx } from './server.js';

function server(over: Partial<Server> = {}): Server {
  return {
    id: '3f0c2a8e-6a55-4c55-9a4f-0a8c3f6b2d11',
    seq: 42,
    name: 'web-1',
    hostname: 'web-1',
    projectId: 'p1',
    userId: 'u1',
    imageId: 'a1b2c3d4-0000-4000-8000-000000000001',
    flavor: { id: '42', name: 'm1.nano', ram: 128, vcpus: 1, disk: 1, swap: 0, ephemeral: 0, extraSpecs: {} },
    oldFlavor: null,
    vmState: 'active',
    taskState: null,
    powerState: 1,
    metadata: { role: 'web' },
    keyName: null,
    publicKey: null,
    userData: null,
    accessIPv4: '',
    accessIPv6: '',
    configDrive: false,
    diskConfig: 'MANUAL',
    availabilityZone: 'nova',
    securityGroups: [{ id: 'sg1', name: 'default' }],
    requestedNetworks: 'auto',
    ports: [{ portId: 'pt1', networkId: 'n1', networkName: 'private', macAddress: 'FA:16:3E:00:00:01', fixedIps: [{ ip: '10.0.0.5', version: 4, subnetId: 's1' }], owned: true }],
    blockDevices: [],
    host: 'host-a',
    node: 'host-a',
    groupId: null,
    locked: false,
    lockedBy: null,
    reservationId: 'r-1',
    launchIndex: 0,
    launchedAt: 1_700_000_000_123,
    fault: null,
    task: null,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_001_000,
    ...over,
  } as Server;
}

const ctx = (over: Partial<ServerViewCtx> = {}): ServerViewCtx => ({ base: 'http://h:1/compute', admin: true, addresses: new Map(), ...over });

describe('server views: cached detail JSON for lists', () => {
  it('gives exactly the bytes JSON.stringify gives for serverDetail, frozen or not', () => {
    const s = server();
    const v = ctx({ addresses: new Map([[s.id, { private: [{ addr: '10.0.0.5', version: 4, type: 'fixed', mac: 'fa:16:3e:00:00:01' }] }]]) });
    assert.equal(serverDetailJson(s, v), JSON.stringify(serverDetail(s, v)));
    const frozen = deepFreeze(server());
    assert.equal(serverDetailJson(frozen, v), JSON.stringify(serverDetail(frozen, v)));
    assert.equal(serverDetailJson(frozen, v), JSON.stringify(serverDetail(frozen, v)), 'the cached text is the same');
    // The fallback to the record's own ports when the network service did not answer.
    assert.equal(serverDetailJson(frozen, ctx()), JSON.stringify(serverDetail(frozen, ctx())));
  });

  it('renders again when the addresses, the base URL or admin-ness change', () => {
    const s = deepFreeze(server());
    const a1 = new Map([[s.id, { private: [{ addr: '10.0.0.5', version: 4 as const, type: 'fixed' as const, mac: 'fa:16:3e:00:00:01' }] }]]);
    const a2 = new Map([[s.id, { private: [...a1.get(s.id)!.private, { addr: '172.24.4.9', version: 4 as const, type: 'floating' as const, mac: 'fa:16:3e:00:00:01' }] }]]);
    const first = JSON.parse(serverDetailJson(s, ctx({ addresses: a1 })));
    assert.equal(first.addresses.private.length, 1);
    const withFip = JSON.parse(serverDetailJson(s, ctx({ addresses: a2 })));
    assert.deepEqual(withFip.addresses.private.map((x: { addr: string }) => x.addr), ['10.0.0.5', '172.24.4.9']);
    const user = JSON.parse(serverDetailJson(s, ctx({ addresses: a2, admin: false })));
    assert.equal(user['OS-EXT-SRV-ATTR:host'], undefined, 'no admin-only keys for a user');
    assert.equal(withFip['OS-EXT-SRV-ATTR:host'], 'host-a');
    const other = JSON.parse(serverDetailJson(s, ctx({ addresses: a2, base: 'http://other:2/compute' })));
    assert.equal(other.links[0].href, `http://other:2/compute/v2.1/servers/${s.id}`);
  });

  it('a changed record (a new object, as the store gives after a write) is rendered afresh', () => {
    const v = ctx();
    const before = deepFreeze(server());
    assert.equal(JSON.parse(serverDetailJson(before, v)).status, 'ACTIVE');
    const after = deepFreeze(server({ vmState: 'stopped', powerState: 4, updatedAt: 1_700_000_009_000 }));
    const out = JSON.parse(serverDetailJson(after, v));
    assert.equal(out.status, 'SHUTOFF');
    assert.equal(out.updated, '2023-11-14T22:13:29Z');
    assert.equal(out['OS-SRV-USG:launched_at'], '2023-11-14T22:13:20.123000');
  });
});
