import { statfs } from 'node:fs/promises';
import { cpus, hostname, networkInterfaces, totalmem, tmpdir } from 'node:os';

/** What this machine offers as a compute host, before allocation ratios. */
export interface HostCapacity {
  hostname: string;
  hostIp: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  cpuInfo: string;
}

function firstAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

/**
 * Probes this machine: CPU count and model (node:os), RAM, and the size of the filesystem
 * that holds the data directory (statfs). `over` replaces any probed figure.
 */
export async function probeHost(dataDir: string | undefined, over: { vcpus?: number; memoryMb?: number; diskGb?: number } = {}): Promise<HostCapacity> {
  const list = cpus();
  let diskGb = 0;
  try {
    const s = await statfs(dataDir && dataDir !== ':memory:' ? dataDir : tmpdir());
    diskGb = Math.floor((s.blocks * s.bsize) / 1024 ** 3);
  } catch {
    diskGb = 20;
  }
  const model = list[0]?.model?.trim() ?? 'unknown';
  return {
    hostname: hostname(),
    hostIp: firstAddress(),
    vcpus: over.vcpus ?? Math.max(1, list.length),
    memoryMb: over.memoryMb ?? Math.floor(totalmem() / 1024 ** 2),
    diskGb: over.diskGb ?? diskGb,
    cpuInfo: JSON.stringify({ arch: process.arch, model, vendor: model.split(' ')[0] ?? '', topology: { cells: 1, sockets: 1, cores: list.length, threads: 1 } }),
  };
}
