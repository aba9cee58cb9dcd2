import { existsSync, readFileSync, statSync } from 'node:fs';
import { readV1Counter, removeV1Cgroup, until } from '../../../dataplane/oci/index.js';
import type { CrunState } from './context.js';
import type { ContainerRecord, SandboxRecord } from './state.js';
import { alive, crunError } from './util.js';

// Ends of containers of the crun runtime: stopping them, and noticing and recording their exits.

/** TERM, KILL after the grace period; resolves once the shim recorded the exit. */
export async function stop(s: CrunState, rec: SandboxRecord, c: ContainerRecord, graceSeconds: number): Promise<void> {
  const rt = await s.runtime();
  const exited = () => (checkExit(s, rec, c), c.state === 'exited');
  if (graceSeconds > 0) {
    await rt.run(['kill', c.hex, 'TERM'], true);
    if (await until(exited, graceSeconds * 1000, 20)) return;
  }
  await rt.run(['kill', c.hex, 'KILL'], true);
  if (await until(exited, 10_000, 20)) return;
  // crun no longer knows it (or cannot kill it): end the shim so the exit is recorded.
  if (c.shim && alive(c.shim)) process.kill(-c.shim.pid, 'SIGKILL');
  await until(exited, 2000, 20);
  if (c.state !== 'exited') markExited(s, rec, c, 137, 'the container did not stop; its shim was killed');
}

export function pollAll(s: CrunState): void {
  for (const rec of s.pods.values()) for (const c of rec.containers) if (c.state === 'running') checkExit(s, rec, c);
}

/** Notices an exit the shim recorded (or a shim that died without recording one). */
export function checkExit(s: CrunState, rec: SandboxRecord, c: ContainerRecord): void {
  if (c.state !== 'running') return;
  const exitFile = s.store.path(rec.uid, 'c', c.hex, 'exit');
  let code: number | undefined;
  let at: number | undefined;
  try {
    code = Number(readFileSync(exitFile, 'utf8').trim());
    at = statSync(exitFile).mtimeMs;
  } catch {
    if (c.shim && alive(c.shim)) return;
    if (c.shim === undefined) return; // still starting
  }
  if (code === undefined || !Number.isFinite(code)) markExited(s, rec, c, 255, 'the container shim ended without recording an exit status (node restart or killed shim)');
  else markExited(s, rec, c, code, undefined, at);
}

function markExited(s: CrunState, rec: SandboxRecord, c: ContainerRecord, code: number, message?: string, at = Date.now()): void {
  if (c.state === 'exited') return;
  const cg = `${s.podCgroup(rec.uid)}/${c.hex}`;
  const failcnt = readV1Counter('memory', cg, 'memory.failcnt') ?? 0;
  c.state = 'exited';
  c.exitCode = code;
  c.finishedAt = Math.round(at);
  c.reason = code === 0 ? 'Completed' : code === 137 && failcnt > 0 ? 'OOMKilled' : 'Error';
  if (message) c.message = message;
  else if (code !== 0) {
    const err = crunError(s.store.path(rec.uid, 'c', c.hex, 'crun.log'));
    if (err) c.message = err;
  }
  if (s.pods.get(rec.uid) === rec || !s.pods.has(rec.uid)) {
    if (existsSync(s.store.path(rec.uid))) s.store.put(rec);
  }
  void s.unmount([s.store.path(rec.uid, 'c', c.hex, 'rootfs')])
    .catch(() => undefined)
    .then(() => removeV1Cgroup(cg));
  if (s.pods.get(rec.uid) === rec) s.changed(rec.uid);
}
