import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DhcpSpec, FloatingIpSpec, MetadataSpec, NetworkSpec, PortSpec, RouterSpec, SecurityGroupSpec } from '../driver.js';

/** The desired state the linux driver was last given, kept on disk so a restart can re-render shared tables. */
export interface DriverState {
  networks: Record<string, NetworkSpec & { zone: number }>;
  ports: Record<string, PortSpec>;
  routers: Record<string, RouterSpec>;
  fips: Record<string, FloatingIpSpec>;
  sgs: Record<string, SecurityGroupSpec>;
  dhcp: Record<string, DhcpSpec>;
  metadata: Record<string, MetadataSpec>;
}

export function emptyState(): DriverState {
  return { networks: {}, ports: {}, routers: {}, fips: {}, sgs: {}, dhcp: {}, metadata: {} };
}

/** One JSON file, replaced with rename on every change. */
export class StateFile {
  private readonly path: string;
  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'network-state.json');
  }
  load(): DriverState {
    try {
      return { ...emptyState(), ...(JSON.parse(readFileSync(this.path, 'utf8')) as Partial<DriverState>) };
    } catch {
      return emptyState();
    }
  }
  save(s: DriverState): void {
    writeFileSync(`${this.path}.tmp`, JSON.stringify(s));
    renameSync(`${this.path}.tmp`, this.path);
  }
}
