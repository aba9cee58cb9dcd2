import { createHash, randomBytes } from 'node:crypto';
import type { Server } from '../logic/models.js';
import type { SubnetInfo } from '../logic/ports.js';

/** OpenStack metadata versions a guest may ask for; `latest` is the newest. */
export const OPENSTACK_VERSIONS = ['2012-08-10', '2013-04-04', '2013-10-17', '2015-10-15', '2016-06-30', '2016-10-06', '2017-02-22', '2018-08-27', '2020-10-14', 'latest'];
/** EC2 metadata versions. */
export const EC2_VERSIONS = ['1.0', '2007-01-19', '2007-03-01', '2007-08-29', '2007-10-10', '2007-12-15', '2008-02-01', '2008-09-01', '2009-04-04', 'latest'];

/** What the documents are made of: the server and facts from the network service. */
export interface InstanceFacts {
  server: Server;
  subnets: SubnetInfo[];
  /** Floating addresses of the server, if the network service knows any. */
  floatingIps: string[];
}

function netmask(cidr: string): string {
  const bits = Number(cidr.split('/')[1] ?? 32);
  const n = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

function tapName(portId: string): string {
  return `tap${portId.slice(0, 11)}`;
}

export function metaData(f: InstanceFacts): Record<string, unknown> {
  const s = f.server;
  const keys = s.keyName && s.publicKey ? [{ name: s.keyName, type: 'ssh', data: s.publicKey }] : [];
  return {
    uuid: s.id,
    meta: { ...s.metadata },
    hostname: `${s.hostname}.novalocal`,
    name: s.name,
    launch_index: s.launchIndex,
    availability_zone: s.availabilityZone,
    project_id: s.projectId,
    public_keys: Object.fromEntries(keys.map((k) => [k.name, k.data])),
    keys,
    devices: [],
    random_seed: randomBytes(512).toString('base64'),
    dedicated_cpus: [],
  };
}

export function networkData(f: InstanceFacts): Record<string, unknown> {
  const subnets = new Map(f.subnets.map((x) => [x.id, x]));
  const links = f.server.ports.map((p) => ({ id: tapName(p.portId), vif_id: p.portId, type: 'bridge', mtu: 1500, ethernet_mac_address: p.macAddress }));
  const networks: Record<string, unknown>[] = [];
  const dns = new Set<string>();
  for (const p of f.server.ports) {
    for (const ip of p.fixedIps) {
      const sn = subnets.get(ip.subnetId);
      sn?.dnsNameservers.forEach((d) => dns.add(d));
      const routes = sn?.gatewayIp && ip.version === 4 ? [{ network: '0.0.0.0', netmask: '0.0.0.0', gateway: sn.gatewayIp }] : [];
      networks.push({
        id: `network${networks.length}`,
        type: ip.version === 4 ? 'ipv4' : 'ipv6',
        link: tapName(p.portId),
        ip_address: ip.ip,
        netmask: sn && ip.version === 4 ? netmask(sn.cidr) : sn?.cidr.split('/')[1] ?? '',
        routes,
        network_id: p.networkId,
        services: (sn?.dnsNameservers ?? []).map((address) => ({ type: 'dns', address })),
      });
    }
  }
  return { links, networks, services: [...dns].map((address) => ({ type: 'dns', address })) };
}

/** The user data as the guest reads it (decoded); undefined when there is none. */
export function userData(s: Server): Buffer | undefined {
  return s.userData ? Buffer.from(s.userData, 'base64') : undefined;
}

const hex8 = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 8);

/** The EC2 meta-data tree: directories are objects, leaves strings. */
export function ec2Tree(f: InstanceFacts): Record<string, unknown> {
  const s = f.server;
  const v4 = s.ports.flatMap((p) => p.fixedIps).find((x) => x.version === 4)?.ip ?? '';
  const tree: Record<string, unknown> = {
    'ami-id': s.imageId ? `ami-${hex8(s.imageId)}` : 'ami-00000000',
    'ami-launch-index': String(s.launchIndex),
    'ami-manifest-path': 'FIXME',
    'block-device-mapping': { ami: 'vda', root: '/dev/vda' },
    hostname: `${s.hostname}.novalocal`,
    'instance-action': 'none',
    'instance-id': `i-${s.seq.toString(16).padStart(8, '0')}`,
    'instance-type': s.flavor.name,
    'local-hostname': `${s.hostname}.novalocal`,
    'local-ipv4': v4,
    placement: { 'availability-zone': s.availabilityZone },
    'public-hostname': `${s.hostname}.novalocal`,
    'public-ipv4': f.floatingIps[0] ?? '',
    'reservation-id': s.reservationId,
    'security-groups': s.securityGroups.map((g) => g.name).join('\n'),
  };
  if (s.keyName && s.publicKey) tree['public-keys'] = { [`0=${s.keyName}`]: { 'openssh-key': s.publicKey } };
  return tree;
}

/**
 * The files of a config drive (labelled `config-2`), laid out as Nova's: the OpenStack tree under
 * openstack/ and the EC2 one under ec2/ (meta-data as one JSON document, keys named `_name`).
 */
export function configDriveFiles(f: InstanceFacts): Record<string, string> {
  const files: Record<string, string> = {};
  const ud = userData(f.server);
  for (const v of ['2012-08-10', 'latest']) {
    files[`openstack/${v}/meta_data.json`] = JSON.stringify(metaData(f));
    files[`openstack/${v}/network_data.json`] = JSON.stringify(networkData(f));
    files[`openstack/${v}/vendor_data.json`] = '{}';
    files[`openstack/${v}/vendor_data2.json`] = '{}';
    if (ud) files[`openstack/${v}/user_data`] = ud.toString('latin1');
  }
  const ec2 = ec2Tree(f);
  const keys = ec2['public-keys'] as Record<string, { 'openssh-key': string }> | undefined;
  if (keys) ec2['public-keys'] = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k.split('=')[0]!, { _name: k, ...v }]));
  for (const v of ['2009-04-04', 'latest']) {
    files[`ec2/${v}/meta-data.json`] = JSON.stringify(ec2);
    if (ud) files[`ec2/${v}/user-data`] = ud.toString('latin1');
  }
  return files;
}
