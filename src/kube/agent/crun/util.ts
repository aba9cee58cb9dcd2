import { readFileSync } from 'node:fs';
import { pidAlive, startTime } from '../../../dataplane/oci/index.js';
import type { KubeObject } from '../../types.js';

/** One entry of a pod's `spec.volumes`, as far as the crun runtime reads it. */
export interface Volume {
  name: string;
  emptyDir?: { medium?: string };
  hostPath?: { path: string; type?: string };
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  configMap?: unknown;
  secret?: unknown;
  projected?: unknown;
  downwardAPI?: unknown;
  [other: string]: unknown;
}

export const FILE_VOLUMES = ['configMap', 'secret', 'projected', 'downwardAPI'] as const;

export function volumesOf(pod: KubeObject): Volume[] {
  const v = (pod.spec as { volumes?: unknown } | undefined)?.volumes;
  return Array.isArray(v) ? (v.filter((x) => x && typeof (x as Volume).name === 'string') as Volume[]) : [];
}

export function alive(p: { pid: number; startTime: string }): boolean {
  return pidAlive(p.pid) && (startTime(p.pid) ?? '') === p.startTime;
}

/** The last error crun logged (`--log=file:`), without its JSON/level decoration. */
export function crunError(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
    const last = lines[lines.length - 1];
    if (!last) return '';
    try {
      const j = JSON.parse(last) as { msg?: string };
      return j.msg ?? last;
    } catch {
      return last.replace(/^\S+\s+\S+\s+/, '');
    }
  } catch {
    return '';
  }
}

export function readLastLines(file: string, n: number): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).map((l) => l.split(' ').slice(3).join(' ')).join(' | ');
  } catch {
    return '';
  }
}
