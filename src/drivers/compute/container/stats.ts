import { readFileSync } from 'node:fs';
import type { InstanceStats } from '../driver.js';
import type { InstanceRecord } from './state.js';
import { cgroupPaths, cpuTime } from './util.js';

/**
 * Usage counters of a running container instance, read from the kernel without spawning
 * anything (a few small file reads): CPU from the cgroup (`cpuacct.usage`, or v2 `cpu.stat`),
 * memory from the v1 memory cgroup (`memory.usage_in_bytes`, or v2 `memory.current`), block
 * IO from `blkio.throttle.io_service_bytes` per device (volumes by their loop device's
 * major:minor; everything else counts as the root disk `vda`), and interfaces from
 * `/proc/<init pid>/net/dev`, where `eth<i>` is the i-th port of the instance record.
 */
export function readStats(rec: InstanceRecord, pid: number): InstanceStats {
  const cg = cgroupPaths(pid);
  const disks: InstanceStats['disks'] = {};
  const rootDev = rec.image || rec.bootVolumePath ? 'vda' : undefined;
  if (rootDev) disks[rootDev] = { readBytes: 0, writeBytes: 0 };
  for (const v of rec.volumes) disks[v.device.replace('/dev/', '')] = { readBytes: 0, writeBytes: 0 };
  const byDev = new Map(rec.volumes.map((v) => [`${v.major}:${v.minor}`, v.device.replace('/dev/', '')]));
  const blkio = cg.blkio !== undefined ? readOr(`/sys/fs/cgroup/blkio${cg.blkio}/blkio.throttle.io_service_bytes`) : undefined;
  for (const line of (blkio ?? '').split('\n')) {
    const [dev, op, n] = line.trim().split(/\s+/);
    if (!dev || !n || (op !== 'Read' && op !== 'Write')) continue;
    const name = byDev.get(dev) ?? rootDev;
    if (!name) continue;
    const d = (disks[name] ??= { readBytes: 0, writeBytes: 0 });
    if (op === 'Read') d.readBytes += Number(n);
    else d.writeBytes += Number(n);
  }
  const memText = cg.memory !== undefined ? readOr(`/sys/fs/cgroup/memory${cg.memory}/memory.usage_in_bytes`) : cg.unified !== undefined ? readOr(`/sys/fs/cgroup${cg.unified}/memory.current`) : undefined;
  const ports: InstanceStats['ports'] = {};
  const dev = readOr(`/proc/${pid}/net/dev`) ?? '';
  for (const line of dev.split('\n')) {
    const m = /^\s*eth(\d+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const port = rec.ports[Number(m[1])];
    if (!port) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit: bytes packets …
    ports[port.portId] = { rxBytes: f[0] ?? 0, rxPackets: f[1] ?? 0, txBytes: f[8] ?? 0, txPackets: f[9] ?? 0 };
  }
  return { cpuTimeNs: cpuTime(pid, cg), memoryUsageBytes: memText ? Number(memText.trim()) || 0 : 0, disks, ports };
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
