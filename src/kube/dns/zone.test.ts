import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InformerSource } from '../client/informer.js';
import type { KubeObject } from '../types.js';
import { respond } from './answer.js';
import { buildQuery } from './client.js';
import { buildIndex } from './records.js';
import { ClusterZone } from './zone.js';
import { decodeMessage, encodeMessage, RCODE, TYPE, type DnsMessage } from './wire.js';

const svc = (ns: string, name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec });
const slice = (ns: string, svcName: string, endpoints: unknown[], ports: unknown[]): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace: ns, name: `${svcName}-abcde`, labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  endpoints,
  ports,
});
const pod = (ns: string, name: string, ip: string, hostNetwork = false): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name }, spec: { hostNetwork }, status: { podIP: ip, podIPs: [{ ip }] } });

const objects = {
  services: [
    svc('default', 'web', { clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 8080 }] }),
    svc('default', 'db', { clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }),
    svc('default', 'empty', { clusterIP: 'None' }),
    svc('default', 'ext', { type: 'ExternalName', externalName: 'example.com' }),
    svc('default', 'alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local.' }),
    svc('default', 'dual', { clusterIP: '10.43.0.30', clusterIPs: ['10.43.0.30', 'fd00:43::30'] }),
    svc('kube-system', 'kube-dns', { clusterIP: '10.43.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
    svc('default', 'Bad_Name', { clusterIP: '10.43.0.99' }),
  ],
  endpointSlices: [
    slice(
      'default',
      'db',
      [
        { addresses: ['10.42.1.7'], hostname: 'db-0', conditions: { ready: true } },
        { addresses: ['10.42.2.8'], conditions: {} },
        { addresses: ['10.42.3.9'], conditions: { ready: false } },
        { addresses: ['not-an-ip'], conditions: { ready: true } },
      ],
      [{ name: 'pg', port: 15432, protocol: 'TCP' }],
    ),
  ],
  pods: [pod('default', 'a', '10.42.0.5'), pod('default', 'db-0', '10.42.1.7'), pod('kube-system', 'h', '192.168.1.4', true)],
};

const index = buildIndex('cluster.local', objects, { ttl: 5, serial: 1 });
const ask = (name: string, type: keyof typeof TYPE | number, mode: 'insecure' | 'verified' = 'insecure'): DnsMessage => respond(index, buildQuery(name, type, { id: 7 }), mode)!;
const data = (m: DnsMessage) => m.answers.map((a) => (typeof a.data === 'object' && !Array.isArray(a.data) && !Buffer.isBuffer(a.data) ? JSON.stringify(a.data) : String(a.data)));

test('zone: ClusterIP service A, SRV for named ports, PTR', () => {
  const a = ask('web.default.svc.cluster.local', 'A');
  assert.equal(a.rcode, RCODE.NOERROR);
  assert.equal(a.aa, true);
  assert.deepEqual(data(a), ['10.43.0.20']);
  assert.equal(a.answers[0]!.ttl, 5);
  assert.deepEqual(data(ask('WEB.default.svc.cluster.local.', 'A')), ['10.43.0.20']);
  const srv = ask('_http._tcp.web.default.svc.cluster.local', 'SRV');
  assert.deepEqual(srv.answers.map((r) => r.data), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);
  assert.deepEqual(srv.additionals.map((r) => r.data), ['10.43.0.20']);
  assert.deepEqual(data(ask('20.0.43.10.in-addr.arpa', 'PTR')), ['web.default.svc.cluster.local']);
  // dual stack
  assert.deepEqual(data(ask('dual.default.svc.cluster.local', 'AAAA')), ['fd00:43::30']);
  assert.deepEqual(data(ask('dual.default.svc.cluster.local', 'ANY')).sort(), ['10.43.0.30', 'fd00:43::30']);
});

test('zone: headless service, endpoint hostnames, SRV per endpoint', () => {
  assert.deepEqual(data(ask('db.default.svc.cluster.local', 'A')).sort(), ['10.42.1.7', '10.42.2.8']);
  assert.deepEqual(data(ask('db-0.db.default.svc.cluster.local', 'A')), ['10.42.1.7']);
  assert.deepEqual(data(ask('10-42-2-8.db.default.svc.cluster.local', 'A')), ['10.42.2.8']);
  assert.equal(ask('10-42-3-9.db.default.svc.cluster.local', 'A').rcode, RCODE.NXDOMAIN, 'not-ready endpoint');
  const srv = ask('_pg._tcp.db.default.svc.cluster.local', 'SRV');
  assert.deepEqual(
    srv.answers.map((r) => r.data),
    [
      { priority: 0, weight: 50, port: 15432, target: 'db-0.db.default.svc.cluster.local' },
      { priority: 0, weight: 50, port: 15432, target: '10-42-2-8.db.default.svc.cluster.local' },
    ],
  );
  assert.deepEqual(srv.additionals.map((r) => r.data).sort(), ['10.42.1.7', '10.42.2.8']);
  // The endpoint name wins the PTR over the pod name.
  assert.deepEqual(data(ask('7.1.42.10.in-addr.arpa', 'PTR')), ['db-0.db.default.svc.cluster.local']);
  // A headless service without endpoints exists: NODATA.
  const empty = ask('empty.default.svc.cluster.local', 'A');
  assert.equal(empty.rcode, RCODE.NOERROR);
  assert.equal(empty.answers.length, 0);
});

test('zone: ExternalName CNAME, chased inside the zone only', () => {
  const ext = ask('ext.default.svc.cluster.local', 'A');
  assert.equal(ext.rcode, RCODE.NOERROR);
  assert.deepEqual(ext.answers.map((r) => [r.type, r.data]), [['CNAME', 'example.com']]);
  const alias = ask('alias.default.svc.cluster.local', 'A');
  assert.deepEqual(alias.answers.map((r) => [r.type, r.data]), [['CNAME', 'web.default.svc.cluster.local'], ['A', '10.43.0.20']]);
  assert.deepEqual(data(ask('ext.default.svc.cluster.local', 'CNAME')), ['example.com']);
});

test('zone: pod A records, insecure and verified; pod PTR', () => {
  assert.deepEqual(data(ask('10-42-0-5.default.pod.cluster.local', 'A')), ['10.42.0.5']);
  assert.deepEqual(data(ask('10-99-0-1.default.pod.cluster.local', 'A')), ['10.99.0.1']);
  assert.equal(ask('10-99-0-1.default.pod.cluster.local', 'A', 'verified').rcode, RCODE.NXDOMAIN);
  assert.deepEqual(data(ask('10-42-0-5.default.pod.cluster.local', 'A', 'verified')), ['10.42.0.5']);
  assert.equal(ask('10-42-0-5.default.pod.cluster.local', 'AAAA').answers.length, 0);
  assert.equal(ask('10-42-0-5.default.pod.cluster.local', 'AAAA').rcode, RCODE.NOERROR);
  assert.equal(ask('nope.default.pod.cluster.local', 'A').rcode, RCODE.NXDOMAIN);
  assert.deepEqual(data(ask('5.0.42.10.in-addr.arpa', 'PTR')), ['10-42-0-5.default.pod.cluster.local']);
  assert.equal(ask('4.1.168.192.in-addr.arpa', 'PTR').rcode, RCODE.NXDOMAIN, 'host-network pod: no PTR');
});

test('zone: TXT version, apex SOA/NS, NODATA vs NXDOMAIN with SOA', () => {
  assert.deepEqual(ask('dns-version.cluster.local', 'TXT').answers.map((r) => r.data), [['1.1.0']]);
  assert.equal(ask('cluster.local', 'SOA').answers[0]!.type, 'SOA');
  assert.deepEqual(data(ask('cluster.local', 'NS')), ['ns.dns.cluster.local']);
  assert.deepEqual(data(ask('ns.dns.cluster.local', 'A')), ['10.43.0.10']);
  for (const name of ['web.default.svc.cluster.local', 'default.svc.cluster.local', 'svc.cluster.local', '_tcp.web.default.svc.cluster.local', 'cluster.local']) {
    const m = ask(name, 15); // MX: no such records anywhere
    assert.equal(m.rcode, RCODE.NOERROR, name);
    assert.equal(m.answers.length, 0, name);
    assert.equal(m.authorities[0]?.type, 'SOA', name);
    assert.equal(m.authorities[0]?.name, 'cluster.local');
  }
  for (const name of ['missing.default.svc.cluster.local', 'web.nons.svc.cluster.local', 'bad_name.default.svc.cluster.local', '_udp.web.default.svc.cluster.local']) {
    const m = ask(name, 'A');
    assert.equal(m.rcode, RCODE.NXDOMAIN, name);
    assert.equal(m.authorities[0]?.type, 'SOA', name);
  }
  const rev = ask('1.2.3.4.in-addr.arpa', 'PTR');
  assert.equal(rev.rcode, RCODE.NXDOMAIN);
  assert.equal(rev.authorities[0]?.name, 'in-addr.arpa');
});

test('zone: search-path expansions and outside names get NXDOMAIN, without recursion', () => {
  for (const name of [
    'web.default.svc.cluster.local.default.svc.cluster.local',
    'web.default.svc.cluster.local.svc.cluster.local',
    'web.default.svc.cluster.local.cluster.local',
    'web.default.svc.cluster.local.example.internal',
  ]) {
    assert.equal(ask(name, 'A').rcode, RCODE.NXDOMAIN, name);
    assert.equal(ask(name, 'AAAA').rcode, RCODE.NXDOMAIN, name);
  }
  const out = ask('deb.debian.org', 'A');
  assert.equal(out.rcode, RCODE.NXDOMAIN);
  assert.equal(out.aa, false);
  assert.equal(out.authorities.length, 0);
  assert.equal(out.ra, true);
});

test('zone: protocol errors: not a query, opcodes, question counts, EDNS version, classes', () => {
  assert.equal(respond(index, { ...buildQuery('web.default.svc.cluster.local', 'A'), qr: true }), undefined);
  assert.equal(respond(index, { ...buildQuery('x', 'A'), opcode: 4 })!.rcode, RCODE.NOTIMP);
  assert.equal(respond(index, { ...buildQuery('x', 'A'), questions: [] })!.rcode, RCODE.FORMERR);
  const badvers = respond(index, { ...buildQuery('web.default.svc.cluster.local', 'A', { edns: 1232 }), edns: { udpSize: 1232, extendedRcode: 0, version: 1, flags: 0, options: Buffer.alloc(0) } })!;
  assert.equal(badvers.rcode, RCODE.BADVERS);
  assert.equal(decodeMessage(encodeMessage(badvers)).rcode, RCODE.BADVERS);
  assert.equal(respond(index, { ...buildQuery('version.bind', 'TXT'), questions: [{ name: 'version.bind', type: TYPE.TXT, class: 3 }] })!.rcode, RCODE.REFUSED);
  assert.equal(ask('cluster.local', 252).rcode, RCODE.REFUSED, 'AXFR');
  const withEdns = respond(index, buildQuery('web.default.svc.cluster.local', 'A', { edns: 4096 }))!;
  assert.equal(withEdns.edns?.udpSize, 1232);
});

/** A source whose lists are fixed and whose watches stay open until stopped. */
function staticSource(objs: typeof objects): InformerSource {
  const byRes: Record<string, KubeObject[]> = { services: objs.services, endpointslices: objs.endpointSlices, pods: objs.pods };
  return {
    list: async (res) => ({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '1' }, items: byRes[res.resource] ?? [] }),
    watch: async () => {
      let stop!: () => void;
      const done = new Promise<void>((r) => (stop = r));
      return { stop, done };
    },
  };
}

test('zone: answerWire never throws on garbage and answers FORMERR when the header is readable', async (t) => {
  const zone = new ClusterZone(staticSource(objects));
  // Before start: SERVFAIL, never a false NXDOMAIN.
  const early = decodeMessage(zone.answerWire(encodeMessage(buildQuery('web.default.svc.cluster.local', 'A')))!);
  assert.equal(early.rcode, RCODE.SERVFAIL);
  await zone.start();
  t.after(() => zone.stop());
  const good = decodeMessage(zone.answerWire(encodeMessage(buildQuery('web.default.svc.cluster.local', 'A', { id: 99 })))!);
  assert.equal(good.id, 99);
  assert.deepEqual(data(good), ['10.43.0.20']);
  const valid = encodeMessage(buildQuery('_pg._tcp.db.default.svc.cluster.local', 'SRV', { edns: 1232 }));
  let answered = 0;
  for (let i = 0; i < 4000; i++) {
    let bytes: Buffer;
    if (i % 2) bytes = Buffer.from(Array.from({ length: Math.floor(Math.random() * 64) }, () => Math.floor(Math.random() * 256)));
    else {
      bytes = Buffer.from(valid.subarray(0, 1 + Math.floor(Math.random() * valid.length)));
      bytes[Math.floor(Math.random() * bytes.length)] = Math.floor(Math.random() * 256);
    }
    const out = zone.answerWire(bytes);
    if (!out) continue;
    answered++;
    const m = decodeMessage(out);
    assert.equal(m.qr, true);
    assert.equal(m.id, bytes.readUInt16BE(0));
  }
  assert.ok(answered > 1000, `answered ${answered}`);
  assert.equal(zone.stats.failures, 0);
  const formerr = decodeMessage(zone.answerWire(Buffer.from([0, 5, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 9]))!);
  assert.equal(formerr.rcode, RCODE.FORMERR);
  assert.equal(formerr.id, 5);
  assert.equal(zone.answerWire(Buffer.from([1, 2, 3])), undefined);
});

test('zone: a bad domain is refused with a hint', () => {
  assert.throws(() => new ClusterZone(staticSource(objects), { domain: 'a..b' }), /not a valid DNS name.*cluster\.local/);
});
