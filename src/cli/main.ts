import { parseArgs } from 'node:util';
import { up } from './commands/up.js';
import { status } from './commands/status.js';
import { openrc } from './commands/openrc.js';
import { reset } from './commands/reset.js';
import { down } from './commands/down.js';
import { netns } from './commands/netns.js';

const USAGE = `Usage: stratus <command> [options]

Commands:
  up       Run the cloud in the foreground (Ctrl-C stops it)
             --host H (127.0.0.1)  --port P (5000)  --data-dir DIR (~/.stratus, or :memory:)
             --admin-password PW (or STRATUS_ADMIN_PASSWORD; default "secret")
             --no-clouds-yaml  do not merge into ~/.config/openstack/clouds.yaml
             --log-level debug|info|warn|error
             --isolated  no link from the data plane to this host (default; tests, CI)
             --uplink  link the external network 172.24.4.0/24 to this host (one veth, guard route)
             --fake-dataplane  run on the fake drivers even as root
  down     Stop a running 'up' of the data dir and remove its whole data plane  [--data-dir]
  netns exec -- CMD  Run CMD inside the cloud's underlay namespace (root)  [--data-dir]
  status   Show whether the cloud is running and the state of each service  [--data-dir] [--json]
  openrc   Print shell exports for the openstack CLI  [--user U] [--project P] [--data-dir]
  reset    Delete all state in the data dir  [--yes] [--data-dir]
  kube up  Run a Kubernetes control plane and node agents  [--nodes N] [--port P] [--data-dir D] [--kubeconfig F]
           (stratus kube help for all options)
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(USAGE);
    return cmd ? 0 : 2;
  }
  // Loaded on demand: `stratus up` never pays for (or depends on) the Kubernetes modules.
  if (cmd === 'kube') return (await import('./commands/kube.js')).kube(rest);
  if (cmd === 'netns') return netns(rest);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        'admin-password': { type: 'string' },
        'no-clouds-yaml': { type: 'boolean' },
        'log-level': { type: 'string' },
        user: { type: 'string' },
        project: { type: 'string' },
        password: { type: 'string' },
        yes: { type: 'boolean', short: 'y' },
        json: { type: 'boolean' },
        isolated: { type: 'boolean' },
        uplink: { type: 'boolean' },
        'fake-dataplane': { type: 'boolean' },
      },
      strict: true,
    });
  } catch (e) {
    process.stderr.write(`stratus: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const v = parsed.values;
  const dataDir = v['data-dir'];
  switch (cmd) {
    case 'up': {
      let port: number | undefined;
      if (v.port !== undefined) {
        port = Number(v.port);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          process.stderr.write(`stratus: --port must be an integer from 0 to 65535, not '${v.port}'.\n`);
          return 2;
        }
      }
      const level = v['log-level'];
      if (level !== undefined && !['debug', 'info', 'warn', 'error'].includes(level)) {
        process.stderr.write(`stratus: --log-level must be one of debug, info, warn, error.\n`);
        return 2;
      }
      return up({
        host: v.host,
        port,
        dataDir,
        adminPassword: v['admin-password'],
        cloudsYaml: !v['no-clouds-yaml'],
        logLevel: level as 'info' | undefined,
        isolated: v.isolated,
        uplink: v.uplink,
        fakeDataplane: v['fake-dataplane'],
      });
    }
    case 'status':
      return status({ dataDir, json: v.json });
    case 'openrc':
      return openrc({ dataDir, user: v.user, project: v.project, password: v.password });
    case 'reset':
      return reset({ dataDir, yes: v.yes });
    case 'down':
      return down({ dataDir });
    default:
      process.stderr.write(`stratus: unknown command '${cmd}'.\n\n${USAGE}`);
      return 2;
  }
}
