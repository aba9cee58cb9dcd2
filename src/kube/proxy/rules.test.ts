import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../types.js';
import { proxyPorts, renderProxyTable } from './rules.js';

const svc = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec });
const slice = (svcName: string, eps: { ip: string; ready?: boolean; terminating?: boolean }[], ports: { name: string; port: number; protocol?: string }[]): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svcName}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  endpoints: eps.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready, terminating: e.terminating } })),
  ports,
});

test('proxyPorts keeps ready endpoints, matches ports by name and skips headless/ExternalName', () => {
  const ports = proxyPorts(
    [
      svc('web', { type: 'NodePort', clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }),
      svc('headless', { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] }),
      svc('ext', { type: 'ExternalName', externalName: 'example.org' }),
    ],
    [slice('web', [{ ip: '10.42.1.2' }, { ip: '10.42.2.2', ready: false }, { ip: '10.42.2.3', terminating: true }, { ip: '10.42.2.4', ready: true }], [{ name: 'http', port: 8080, protocol: 'TCP' }])],
  );
  assert.equal(ports.length, 1);
  assert.deepEqual(ports[0], {
    id: 'default/web:http',
    protocol: 'tcp',
    clusterIP: '10.43.0.5',
    port: 80,
    nodePort: 30080,
    endpoints: [
      { ip: '10.42.1.2', port: 8080 },
      { ip: '10.42.2.4', port: 8080 },
    ],
    affinitySeconds: undefined,
  });
});

test('renderProxyTable: one atomic transaction with maps, numgen balancing, NodePorts and rejects', () => {
  const script = renderProxyTable(
    [
      { id: 'default/web:http', protocol: 'tcp', clusterIP: '10.43.0.5', port: 80, nodePort: 30080, endpoints: [{ ip: '10.42.1.2', port: 80 }, { ip: '10.42.2.2', port: 80 }] },
      { id: 'default/none:', protocol: 'udp', clusterIP: '10.43.0.6', port: 53, endpoints: [] },
    ],
    { nodeAddresses: ['10.41.0.1'], clusterCidr: '10.42.0.0/16' },
  );
  const lines = script.split('\n');
  assert.deepEqual(lines.slice(0, 2), ['table ip kube-proxy', 'delete table ip kube-proxy']);
  assert.match(script, /10\.43\.0\.5 \. tcp \. 80 : goto svc-[0-9a-f]{12}/);
  assert.match(script, /tcp \. 30080 : goto ext-[0-9a-f]{12}/);
  assert.match(script, /numgen random mod 2 vmap \{ 0 : goto sep-[0-9a-f]{12}-0, 1 : goto sep-[0-9a-f]{12}-1 \}/);
  assert.match(script, /meta l4proto tcp dnat to 10\.42\.2\.2:80/);
  assert.match(script, /ip saddr 10\.42\.1\.2 jump mark-for-masquerade/, 'hairpin');
  assert.match(script, /ip saddr != 10\.42\.0\.0\/16 jump mark-for-masquerade/, 'off-cluster sources');
  assert.match(script, /no-endpoint-services \{\n\s+type ipv4_addr \. inet_proto \. inet_service\n\s+elements = \{ 10\.43\.0\.6 \. udp \. 53 \}/);
  assert.ok(!script.includes('10.43.0.6 . udp . 53 : goto'), 'no DNAT for a service without endpoints');
});

test('renderProxyTable with session affinity declares timed sets before the chains that use them', () => {
  const script = renderProxyTable([{ id: 'a/b:', protocol: 'tcp', clusterIP: '10.43.0.9', port: 1, endpoints: [{ ip: '10.42.1.9', port: 1 }], affinitySeconds: 60 }], { nodeAddresses: [], clusterCidr: '10.42.0.0/16' });
  assert.ok(script.indexOf('set aff-') < script.indexOf('chain svc-'));
  assert.match(script, /timeout 60s/);
  assert.match(script, /update @aff-[0-9a-f]{12}-0 \{ ip saddr \}/);
  assert.ok(!script.includes('elements = {  }'), 'empty sets have no elements clause');
});
