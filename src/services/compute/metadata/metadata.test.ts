import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server as HttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Server } from '../logic/models.js';
import { noNetwork, type NetworkPorts } from '../logic/ports.js';
import { configDriveFiles } from './documents.js';
import { metadataHandler } from './handler.js';
import { MetadataService } from './service.js';

const NET = '6b1a2a7e-0000-4000-8000-000000000001';
const SUBNET = '6b1a2a7e-0000-4000-8000-000000000002';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl k1';

function server(): Server {
  return {
    id: '11111111-2222-4333-8444-555555555555',
    seq: 42,
    name: 'vm1',
    hostname: 'vm1',
    projectId: 'p1',
    userId: 'u1',
    imageId: '99999999-2222-4333-8444-555555555555',
    flavor: { id: '42', name: 'm1.nano', ram: 192, vcpus: 1, disk: 1, swap: 0, ephemeral: 0, extraSpecs: {} },
    oldFlavor: null,
    vmState: 'active',
    taskState: null,
    powerState: 1,
    metadata: { role: 'web' },
    keyName: 'k1',
    publicKey: KEY,
    userData: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'),
    accessIPv4: '',
    accessIPv6: '',
    configDrive: true,
    diskConfig: 'MANUAL',
    availabilityZone: 'nova',
    securityGroups: [{ id: 'sg1', name: 'default' }],
    requestedNetworks: [{ networkId: NET }],
    ports: [{ portId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', networkId: NET, networkName: 'private', macAddress: 'fa:16:3e:00:00:01', fixedIps: [{ ip: '10.0.0.5', version: 4, subnetId: SUBNET }], owned: true }],
    blockDevices: [],
    host: 'h',
    node: 'h',
    groupId: null,
    locked: false,
    lockedBy: null,
    reservationId: 'r-abc',
    launchIndex: 0,
    launchedAt: 0,
    fault: null,
    task: null,
    createdAt: 0,
    updatedAt: 0,
  };
}

const network: NetworkPorts = {
  ...noNetwork,
  subnets: async () => [{ id: SUBNET, cidr: '10.0.0.0/26', gatewayIp: '10.0.0.1', dnsNameservers: ['10.0.0.2'], ipVersion: 4, enableDhcp: true }],
  addresses: async (ids) => new Map(ids.map((id) => [id, { private: [{ addr: '172.24.4.10', version: 4 as const, type: 'floating' as const, mac: 'fa:16:3e:00:00:01' }] }])),
};

describe('metadata service', () => {
  const s = server();
  const svc = new MetadataService({ byAddress: async (n, ip) => (n === NET && ip === '10.0.0.5' ? s : undefined) }, network);
  let dir: string;
  let http: HttpServer;
  let sock: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-md-'));
    sock = join(dir, 'metadata.sock');
    http = createServer(metadataHandler(svc));
    await new Promise<void>((r) => http.listen(sock, r));
  });
  after(async () => {
    await new Promise((r) => http.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  /** GET over the unix socket, as the data plane's proxy would send it. */
  const get = (path: string, headers: Record<string, string> = { 'x-forwarded-for': '10.0.0.5', 'x-neutron-network-id': NET }) =>
    new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
      const r = request({ socketPath: sock, path, headers }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body, type: String(res.headers['content-type']) }));
      });
      r.on('error', reject);
      r.end();
    });

  it('serves OpenStack meta_data.json with keys and metadata', async () => {
    const r = await get('/openstack/latest/meta_data.json');
    assert.equal(r.status, 200);
    const md = JSON.parse(r.body);
    assert.equal(md.uuid, s.id);
    assert.deepEqual(md.public_keys, { k1: KEY });
    assert.deepEqual(md.meta, { role: 'web' });
    assert.equal(md.hostname, 'vm1.novalocal');
    assert.equal(md.availability_zone, 'nova');
  });

  it('serves network_data.json, vendor data and user data', async () => {
    const nd = JSON.parse((await get('/openstack/2018-08-27/network_data.json')).body);
    assert.equal(nd.links[0].ethernet_mac_address, 'fa:16:3e:00:00:01');
    assert.deepEqual([nd.networks[0].ip_address, nd.networks[0].netmask], ['10.0.0.5', '255.255.255.192']);
    assert.deepEqual(nd.networks[0].routes, [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: '10.0.0.1' }]);
    assert.deepEqual(nd.services, [{ type: 'dns', address: '10.0.0.2' }]);
    assert.equal((await get('/openstack/latest/vendor_data2.json')).body, '{}');
    assert.equal((await get('/openstack/latest/user_data')).body, '#!/bin/sh\necho hi\n');
    assert.match((await get('/openstack/latest')).body, /meta_data.json\n/);
    assert.match((await get('/openstack')).body, /latest/);
  });

  it('serves the EC2 tree, including public-keys/0/openssh-key', async () => {
    assert.match((await get('/latest/meta-data/')).body, /instance-id\n/);
    assert.equal((await get('/latest/meta-data/instance-id')).body, 'i-0000002a');
    assert.equal((await get('/latest/meta-data/local-ipv4')).body, '10.0.0.5');
    assert.equal((await get('/latest/meta-data/public-ipv4')).body, '172.24.4.10');
    assert.equal((await get('/latest/meta-data/public-keys/')).body, '0=k1');
    assert.equal((await get('/latest/meta-data/public-keys/0/')).body, 'openssh-key');
    assert.equal((await get('/latest/meta-data/public-keys/0/openssh-key')).body, KEY);
    assert.equal((await get('/2009-04-04/meta-data/placement/availability-zone')).body, 'nova');
    assert.equal((await get('/latest/user-data')).body, '#!/bin/sh\necho hi\n');
  });

  it('names the instance by (network, fixed IP) only; bad requests are refused', async () => {
    assert.equal((await get('/openstack/latest/meta_data.json', { 'x-forwarded-for': '10.0.0.6', 'x-neutron-network-id': NET })).status, 404);
    assert.equal((await get('/openstack/latest/meta_data.json', { 'x-forwarded-for': '10.0.0.5', 'x-neutron-network-id': 'other' })).status, 404);
    assert.equal((await get('/openstack/latest/meta_data.json', {})).status, 400);
    assert.equal((await get('/latest/meta-data/nope')).status, 404);
    assert.equal((await get('/1999-01-01/meta-data/')).status, 404);
  });

  it('builds config drive files (config-2 layout)', async () => {
    const files = configDriveFiles({ server: s, subnets: [], floatingIps: [] });
    assert.equal(JSON.parse(files['openstack/latest/meta_data.json']!).uuid, s.id);
    assert.equal(files['openstack/2012-08-10/user_data'], '#!/bin/sh\necho hi\n');
    const ec2 = JSON.parse(files['ec2/latest/meta-data.json']!);
    assert.equal(ec2['instance-id'], 'i-0000002a');
    assert.deepEqual(ec2['public-keys'], { 0: { _name: '0=k1', 'openssh-key': KEY } });
    assert.equal(files['ec2/2009-04-04/user-data'], '#!/bin/sh\necho hi\n');
  });
});
