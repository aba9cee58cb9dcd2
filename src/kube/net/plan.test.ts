import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordingRunner, runAll } from '../../dataplane/exec.js';
import { nodePlan, planNode, planPodNetns, podNetnsName } from './plan.js';

test('nodePlan gives each node its address, pod CIDR, VTEP and names', () => {
  const n = nodePlan('stx-12345678', 2);
  assert.deepEqual(n, {
    index: 2,
    name: 'node-2',
    netns: 'stx-12345678-n2',
    address: '10.41.0.2',
    podCidr: '10.42.2.0/24',
    gateway: '10.42.2.1',
    vtepIp: '10.42.2.0',
    vtepMac: '0a:58:0a:2a:02:00',
    uplinkDev: 'kn-2',
  });
  assert.throws(() => nodePlan('p', 0), /outside 1…250/);
  assert.equal(podNetnsName('stx-1', '0a1b2c3d-4e5f'), 'stx-1-p-0a1b2c3d');
});

test('planNode builds the node inside its namespaces only: nothing in the root namespace', async () => {
  const r = new RecordingRunner();
  const nodes = [nodePlan('stx-1', 1), nodePlan('stx-1', 2)];
  await runAll(r, planNode('stx-1', nodes[0]!, nodes));
  const lines = r.lines();
  for (const l of lines) {
    assert.ok(l.startsWith('ip netns add stx-1-n1') || /^ip -n stx-1(-n1)? /.test(l) || l.startsWith('nsenter --net=/run/netns/stx-1-n1 ') || l.startsWith('bridge -n stx-1-n1 '), `runs in a cluster namespace: ${l}`);
  }
  const all = lines.join('\n');
  assert.match(all, /link add flannel\.1 type vxlan id 1 local 10\.41\.0\.1 dev eth0 dstport 8472 nolearning/);
  assert.match(all, /route replace 10\.42\.2\.0\/24 via 10\.42\.2\.0 dev flannel\.1 onlink/);
  assert.match(all, /neigh replace 10\.42\.2\.0 lladdr 0a:58:0a:2a:02:00 dev flannel\.1 nud permanent/);
  assert.match(all, /fdb replace 0a:58:0a:2a:02:00 dev flannel\.1 dst 10\.41\.0\.2/);
  assert.match(all, /net\.ipv4\.ip_forward=1/);
  assert.match(all, /ip saddr 10\.42\.1\.0\/24 ip daddr 10\.41\.0\.0\/24 oifname "eth0" masquerade/);
});

test('planPodNetns plugs the pod into cni0 with MTU 1450 and a default route via .1', async () => {
  const r = new RecordingRunner();
  await runAll(r, planPodNetns(nodePlan('stx-1', 1), 'stx-1-p-abcdef12', 'abcdef12-3456', '10.42.1.7'));
  const all = r.lines().join('\n');
  assert.match(all, /ip -n stx-1-n1 link add vpabcdef12 type veth peer name eth0 netns stx-1-p-abcdef12/);
  assert.match(all, /addr add 10\.42\.1\.7\/24 dev eth0/);
  assert.match(all, /route add default via 10\.42\.1\.1 dev eth0/);
  assert.match(all, /link set eth0 mtu 1450 up/);
});
