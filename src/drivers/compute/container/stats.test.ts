import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readStats } from './stats.js';
import type { InstanceRecord } from './state.js';

// readStats on this very process: its own cgroup and /proc/<pid>/net/dev are real kernel files.
test('readStats reads real kernel counters of a pid and maps eth<i> to the i-th port', () => {
  const rec = { image: { id: 'i', path: '/x', diskFormat: 'raw' }, bootVolumePath: null, volumes: [], ports: [{ portId: 'p0', networkId: 'n', macAddress: 'm', fixedIps: [] }] } as unknown as InstanceRecord;
  const s = readStats(rec, process.pid);
  assert.ok(s.cpuTimeNs >= 0);
  assert.ok(s.memoryUsageBytes >= 0);
  assert.deepEqual(Object.keys(s.disks), ['vda']);
  for (const p of Object.values(s.ports)) assert.ok(p.rxBytes >= 0 && p.txPackets >= 0);
  assert.ok(Object.keys(s.ports).every((k) => k === 'p0'));
});
