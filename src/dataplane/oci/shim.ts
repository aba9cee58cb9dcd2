import { spawn, type ChildProcess } from 'node:child_process';
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

export interface LoggingShimSpec {
  /** The runtime's `run --bundle B --pid-file P ID` command line, in its mount namespace. */
  runArgv: string[];
  /** The container's stdin: a FIFO (opened read-write, so it never reaches EOF) or /dev/null. */
  stdin: string;
  /** Log file, appended to in the CRI format: `<RFC 3339 nano UTC> <stdout|stderr> F <line>`. */
  logFile: string;
  /** Written (through a rename) with the container's exit status once the runtime returned. */
  exitFile: string;
}

/**
 * Starts the shim of one pod container (the conmon role): a detached bash in its own session
 * that runs the container in the foreground, splits its stdout and stderr into two line
 * stampers writing CRI log lines, waits for both, then records the exit status in
 * `exitFile`. It needs no Node process per container, survives a restart of the agent, and
 * costs a bash plus the waiting runtime (measured in the pod runtime tests).
 *
 * The stampers use bash's `$EPOCHREALTIME` (no fork per line); a last line without a newline
 * is logged as a full line.
 */
export function startLoggingShim(s: LoggingShimSpec): { pid: number; startTime: string; child: ChildProcess } {
  const log = q(s.logFile);
  const script = [
    'cd /',
    `stamp() { local l t; while IFS= read -r l || [ -n "$l" ]; do t=$EPOCHREALTIME; printf '%(%Y-%m-%dT%H:%M:%S)T.%s000Z %s F %s\\n' "\${t%.*}" "\${t#*.}" "$1" "$l"; done >>${log}; }`,
    `rm -f ${q(s.exitFile)} ${q(s.exitFile + '.rc')}`,
    `stdin=${q(s.stdin)}`,
    `{ { if [ "$stdin" = /dev/null ]; then ${s.runArgv.map(q).join(' ')} </dev/null; else ${s.runArgv.map(q).join(' ')} <>"$stdin"; fi 2>&1 1>&3 3>&-; echo $? >${q(s.exitFile + '.rc')}; } | stamp stderr; } 3>&1 | stamp stdout`,
    `rc=$(cat ${q(s.exitFile + '.rc')} 2>/dev/null); rm -f ${q(s.exitFile + '.rc')}`,
    `echo "\${rc:-255}" >${q(s.exitFile + '.tmp')} && mv ${q(s.exitFile + '.tmp')} ${q(s.exitFile)}`,
  ].join('\n');
  const child = spawn('/bin/bash', ['-c', script], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C', TZ: 'UTC' } });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error('cannot start the container shim (/bin/bash)');
  return { pid, startTime: startTime(pid) ?? '', child };
}
