import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../types.js';
import { endpointSlicePrinter, endpointsPrinter, servicePrinter } from './network.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const created = new Date(NOW - 45_000).toISOString();

function svc(spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', creationTimestamp: created }, spec, status };
}

describe('service printer', () => {
  it('has Name Type Cluster-IP External-IP Port(s) Age | Selector', () => {
    assert.deepEqual(
      servicePrinter.columns.map((c) => [c.name, c.priority]),
      [['Name', 0], ['Type', 0], ['Cluster-IP', 0], ['External-IP', 0], ['Port(s)', 0], ['Age', 0], ['Selector', 1]],
    );
  });

  it('ClusterIP, headless, NodePort, LoadBalancer (pending and assigned), ExternalName', () => {
    const clusterIp = svc({ type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], selector: { 'k8s-app': 'kube-dns' } });
    assert.deepEqual(servicePrinter.cells(clusterIp, NOW), ['web', 'ClusterIP', '10.96.0.10', '<none>', '53/UDP,53/TCP', '45s', 'k8s-app=kube-dns']);
    const headless = svc({ type: 'ClusterIP', clusterIP: 'None', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web' } });
    assert.deepEqual(servicePrinter.cells(headless, NOW).slice(1, 5), ['ClusterIP', 'None', '<none>', '80/TCP']);
    const nodePort = svc({ type: 'NodePort', clusterIP: '10.96.1.2', ports: [{ port: 80, nodePort: 31234, protocol: 'TCP', targetPort: 8080 }], externalIPs: ['192.0.2.10'] });
    assert.deepEqual(servicePrinter.cells(nodePort, NOW).slice(1, 7), ['NodePort', '10.96.1.2', '192.0.2.10', '80:31234/TCP', '45s', '<none>']);
    const pending = svc({ type: 'LoadBalancer', clusterIP: '10.96.1.3', ports: [{ port: 443, nodePort: 30443, protocol: 'TCP' }] });
    assert.deepEqual(servicePrinter.cells(pending, NOW).slice(1, 5), ['LoadBalancer', '10.96.1.3', '<pending>', '443:30443/TCP']);
    const assigned = svc({ type: 'LoadBalancer', clusterIP: '10.96.1.3', ports: [{ port: 443, nodePort: 30443 }] }, { loadBalancer: { ingress: [{ ip: '203.0.113.5' }, { hostname: 'lb.example.com' }] } });
    assert.deepEqual(servicePrinter.cells(assigned, NOW).slice(3, 5), ['203.0.113.5,lb.example.com', '443:30443/TCP']);
    const external = svc({ type: 'ExternalName', externalName: 'db.example.com' });
    assert.deepEqual(servicePrinter.cells(external, NOW).slice(1, 5), ['ExternalName', '<none>', 'db.example.com', '<none>']);
  });
});

describe('endpoints printers', () => {
  it('v1 Endpoints: ip:port, at most three then "+ N more..."', () => {
    assert.deepEqual(endpointsPrinter.columns.map((c) => c.name), ['Name', 'Endpoints', 'Age']);
    const ep = (subsets: unknown): KubeObject => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', creationTimestamp: created }, subsets });
    assert.deepEqual(endpointsPrinter.cells(ep([{ addresses: [{ ip: '10.244.0.5' }, { ip: '10.244.0.6' }], ports: [{ port: 8080, protocol: 'TCP' }] }]), NOW), ['web', '10.244.0.5:8080,10.244.0.6:8080', '45s']);
    const many = ep([{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4' }], ports: [{ port: 80 }, { port: 443 }] }]);
    assert.equal(endpointsPrinter.cells(many, NOW)[1], '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 5 more...');
    assert.equal(endpointsPrinter.cells(ep([{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }]), NOW)[1], '[fd00::1]:80');
    assert.equal(endpointsPrinter.cells(ep([{ addresses: [{ ip: '10.0.0.9' }] }]), NOW)[1], '10.0.0.9');
    assert.equal(endpointsPrinter.cells(ep(undefined), NOW)[1], '<none>');
    assert.equal(endpointsPrinter.cells(ep([{ notReadyAddresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }]), NOW)[1], '<none>');
  });

  it('EndpointSlices: AddressType, Ports, Endpoints', () => {
    assert.deepEqual(endpointSlicePrinter.columns.map((c) => c.name), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
    const slice: KubeObject = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abcde', creationTimestamp: created, labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true } }, { addresses: ['10.244.0.6'] }, { addresses: ['10.244.0.7'] }, { addresses: ['10.244.0.8'] }],
    };
    assert.deepEqual(endpointSlicePrinter.cells(slice, NOW), ['web-abcde', 'IPv4', '8080', '10.244.0.5,10.244.0.6,10.244.0.7 + 1 more...', '45s']);
    assert.deepEqual(endpointSlicePrinter.cells({ ...slice, ports: [], endpoints: [] }, NOW).slice(2, 4), ['<unset>', '<unset>']);
  });
});
