import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** What a running `stratus up` leaves in its data dir so other commands can find it. */
export interface RunState {
  pid: number;
  url: string;
  startedAt: string;
}

const FILE = 'stratus.state.json';

export function writeState(dataDir: string, s: RunState): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, FILE), JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
}

export function clearState(dataDir: string, pid = process.pid): void {
  const s = readState(dataDir);
  if (s && s.pid === pid) rmSync(join(dataDir, FILE), { force: true });
}

export function readState(dataDir: string): RunState | undefined {
  const p = join(dataDir, FILE);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as RunState;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state of a live `up` for this data dir, or undefined (stale files are ignored). */
export function running(dataDir: string): RunState | undefined {
  const s = readState(dataDir);
  return s && isAlive(s.pid) ? s : undefined;
}
