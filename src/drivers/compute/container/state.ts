import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FlavorSpec, ImageFile, PortBinding } from '../driver.js';

/** An attached volume: its backing file on a loop device shown in the guest as `device`. */
export interface VolumeRecord {
  volumeId: string;
  device: string;
  path: string;
  /** `/dev/loopN` */
  loop: string;
  major: number;
  minor: number;
}

/**
 * What the driver remembers of an instance, in `<instance dir>/state.json` (written through a
 * rename): enough to start, stop, adopt and destroy it after a restart of the control plane.
 */
export interface InstanceRecord {
  id: string;
  name: string;
  hostname: string;
  flavor: FlavorSpec;
  image: ImageFile | null;
  /** The boot volume's file when the instance boots from a volume (no image). */
  bootVolumePath: string | null;
  ports: PortBinding[];
  volumes: VolumeRecord[];
  hasConfigDrive: boolean;
  /** The config drive image (`config-2.iso`) on a read-only loop device, shown as /dev/sr0. */
  configDriveLoop?: VolumeRecord;
  /** What the last driver call asked for; a guest poweroff or crash shows as a difference. */
  desired: 'running' | 'shutdown';
  /** Frozen by `suspend` (as opposed to `pause`). */
  suspended: boolean;
  /** The shim's pid and start time, so a restarted driver recognises it. */
  shim: { pid: number; startTime: string } | null;
}

/** File names inside an instance directory. */
export const FILES = {
  state: 'state.json',
  console: 'console.log',
  exit: 'exit-code',
  noRestart: 'no-restart',
  disk: 'disk.ext4',
  diskMount: 'disk',
  rootfs: 'rootfs',
  bundle: 'bundle',
  config: 'config-2',
  configImage: 'config-2.iso',
};

export class InstanceStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'instances');
    mkdirSync(this.dir, { recursive: true });
  }

  path(id: string, file?: string): string {
    return file ? join(this.dir, id, file) : join(this.dir, id);
  }

  get(id: string): InstanceRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.path(id, FILES.state), 'utf8')) as InstanceRecord;
    } catch {
      return undefined;
    }
  }

  put(r: InstanceRecord): void {
    const f = this.path(r.id, FILES.state);
    mkdirSync(this.path(r.id), { recursive: true });
    writeFileSync(`${f}.tmp`, JSON.stringify(r, null, 1));
    renameSync(`${f}.tmp`, f);
  }

  ids(): string[] {
    try {
      return readdirSync(this.dir).filter((id) => this.get(id) !== undefined).sort();
    } catch {
      return [];
    }
  }
}
