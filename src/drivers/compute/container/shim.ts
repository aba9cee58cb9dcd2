import { spawn } from 'node:child_process';
import { startTime } from './host.js';

/** Exit status of a container whose init asked reboot(2) to restart (killed by SIGHUP). */
export const EXIT_REBOOT = 129;
/** … to power off or halt (killed by SIGINT). */
export const EXIT_POWEROFF = 130;

export interface ShimSpec {
  /** The runtime's `run --bundle B ID` command line, in its mount namespace. */
  runArgv: string[];
  /** The runtime's `delete -f ID`, run before each start to clear a stale record. */
  deleteArgv: string[];
  console: string;
  exitFile: string;
  noRestartFile: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Starts the shim of one instance: a detached `sh` in its own session that runs the container
 * in the foreground (`crun run`, not `run -d`), so the runtime waits for the container's init
 * and hands its exit status to the shim, which writes it to `exitFile`. Output of the runtime
 * and of the guest's init goes to `console`. A guest-side `reboot` (exit 129) starts the
 * container again unless `noRestartFile` exists (the driver creates it before stopping).
 */
// NOTE: a shim rather than making this process a child subreaper: Node cannot call
// prctl(PR_SET_CHILD_SUBREAPER) without a native addon, and a subreaper would lose the exit
// codes of containers whenever the control plane restarts. The shim is a plain `sh` plus the
// waiting runtime (about 3 MB RSS together); it survives a restart of the control plane, and a
// `kill -9` of Stratus leaves instances running for the next `up` to adopt.
export function startShim(s: ShimSpec): { pid: number; startTime: string } {
  const script = [
    'cd /',
    'while :; do',
    `  rm -f ${q(s.exitFile)}`,
    `  ${s.deleteArgv.map(q).join(' ')} >/dev/null 2>&1`,
    `  ${s.runArgv.map(q).join(' ')} </dev/null >>${q(s.console)} 2>&1`,
    '  rc=$?',
    `  echo $rc > ${q(s.exitFile)}`,
    `  [ "$rc" = ${EXIT_REBOOT} ] && [ ! -e ${q(s.noRestartFile)} ] || break`,
    `  echo "=== guest rebooted itself: starting it again ===" >>${q(s.console)}`,
    'done',
  ].join('\n');
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error('cannot start the instance shim (/bin/sh)');
  return { pid, startTime: startTime(pid) ?? '' };
}
