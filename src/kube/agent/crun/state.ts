import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeContainer } from '../runtime.js';

/** One container instance, as kept in its pod's `sandbox.json`: what the agent sees, keyed by `hex`. */
export interface ContainerRecord extends Omit<RuntimeContainer, 'id'> {
  /** 16 hex: the crun container id and the directory under `c/`. */
  hex: string;
  /** The shim (bash) and the container's init, with start times so a reused pid is never taken for them. */
  shim?: { pid: number; startTime: string };
  pid?: number;
  stdin: boolean;
  tty: boolean;
}

/** One pod sandbox, in `<stateDir>/pods/<uid>/sandbox.json` (written through a rename). */
export interface SandboxRecord {
  uid: string;
  namespace: string;
  name: string;
  hostname: string;
  ip: string;
  netns: string;
  createdAt: number;
  /** The process holding the pod's ipc and uts namespaces (the pause role). */
  holder?: { pid: number; startTime: string };
  /** `spec.volumes` of the pod, for the containers' mounts. */
  volumes?: unknown[];
  /** The pod's persistentVolumeClaim volumes, resolved to directories by the agent. */
  claims?: Record<string, { claimName: string; volumeName: string; path: string; readOnly: boolean }>;
  containers: ContainerRecord[];
}

export class SandboxStore {
  readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'pods');
  }

  path(uid: string, ...rest: string[]): string {
    return join(this.dir, uid, ...rest);
  }

  put(r: SandboxRecord): void {
    mkdirSync(this.path(r.uid), { recursive: true });
    const f = this.path(r.uid, 'sandbox.json');
    writeFileSync(`${f}.tmp`, JSON.stringify(r, null, 1));
    renameSync(`${f}.tmp`, f);
  }

  get(uid: string): SandboxRecord | undefined {
    try {
      return JSON.parse(readFileSync(this.path(uid, 'sandbox.json'), 'utf8')) as SandboxRecord;
    } catch {
      return undefined;
    }
  }

  /** Every pod directory (also those whose record is missing or torn, so `purge` finds them). */
  uids(): string[] {
    try {
      return readdirSync(this.dir).filter((d) => /^[A-Za-z0-9-]+$/.test(d));
    } catch {
      return [];
    }
  }
}
