import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { defaultDataDir } from '../../config/config.js';
import { cloudPrefix } from '../../dataplane/names.js';
import { isRoot } from '../../dataplane/probe.js';

const USAGE = `Usage: stratus netns exec [--data-dir D] -- CMD [ARGS…]
Runs CMD inside the cloud's underlay network namespace (where floating IPs and the external
network live in isolated mode), e.g.  stratus netns exec -- ssh cirros@172.24.4.10
The exit code of CMD is passed through.
`;

/** `stratus netns exec`: a command inside the underlay, through nsenter (root only). */
export async function netns(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'exec') {
    process.stderr.write(sub === undefined || sub === 'help' || sub === '--help' ? USAGE : `stratus netns: unknown subcommand '${sub}'.\n\n${USAGE}`);
    return sub === 'help' || sub === '--help' ? 0 : 2;
  }
  let dataDir = defaultDataDir();
  let i = 0;
  for (; i < rest.length && rest[i] !== '--'; i++) {
    const a = rest[i]!;
    if (a === '--data-dir' && rest[i + 1] !== undefined) dataDir = rest[++i]!;
    else if (a.startsWith('--data-dir=')) dataDir = a.slice('--data-dir='.length);
    else break;
  }
  if (rest[i] === '--') i++;
  const cmd = rest.slice(i);
  if (cmd.length === 0) {
    process.stderr.write(`stratus netns exec: no command given.\n\n${USAGE}`);
    return 2;
  }
  if (!isRoot()) {
    process.stderr.write('stratus netns exec: entering a network namespace needs root (try sudo).\n');
    return 1;
  }
  const ns = cloudPrefix(dataDir);
  if (!existsSync(`/run/netns/${ns}`)) {
    process.stderr.write(`stratus netns exec: no underlay namespace ${ns} for ${dataDir}; is 'stratus up --data-dir ${dataDir}' running as root with the real data plane?\n`);
    return 1;
  }
  // NOTE: nsenter --net, not `ip netns exec`: the latter remounts /sys (DESIGN.md §4).
  const child = spawn('nsenter', [`--net=/run/netns/${ns}`, '--', ...cmd], { stdio: 'inherit' });
  return new Promise<number>((resolve) => {
    child.on('error', (e) => {
      process.stderr.write(`stratus netns exec: ${e.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (signalNumber(signal) ?? 1) : 1)));
  });
}

function signalNumber(sig: string): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 } as Record<string, number>)[sig];
}
