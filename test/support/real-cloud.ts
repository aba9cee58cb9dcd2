import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { pollUntil } from './poll.js';
import { cliEnv, onPath, run, type RunResult } from './proc.js';
import { BIN, startStratusProcess, type StratusProcess } from './stratus-process.js';

/**
 * A real `stratus up` child as root (the container and linux drivers), driven by Debian's
 * `openstack` CLI as user demo, with an ssh key and ssh run inside the cloud's underlay
 * (`stratus netns exec`): the harness of the seed-flow and probe suites. Call `start` from
 * `before` and `cleanup` from `after`.
 */

/** Why a real-cloud suite cannot run here (root, the openstack CLI, ssh), or false. */
export function realCloudSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!onPath('openstack')) return 'needs the openstack CLI (apt-get install python3-openstackclient)';
  if (!onPath('ssh')) return 'needs openssh-client';
  return false;
}

export interface RealCloud {
  /** The temp dir of the suite (clouds.yaml, the key); removed by `cleanup`. */
  readonly dir: string;
  /** The cloud's --data-dir. */
  readonly data: string;
  /** The private key file (`${key}.pub` the public one). */
  readonly key: string;
  /** ssh options: the key, no host key checks, batch mode, `ConnectTimeout`. */
  readonly sshOpts: string[];
  /** The running child (after `start`). */
  readonly cloud: StratusProcess | undefined;
  /** Whether `/health` named the container and linux drivers (after `start`). */
  readonly real: boolean;
  /** Makes the key (first call only), starts the cloud and points the CLI at it; again after a crash to restart it. */
  start(): Promise<void>;
  /** Stops the cloud, runs `stratus down` and removes the temp dir. */
  cleanup(): Promise<void>;
  /** `openstack --os-cloud demo …`, asserting exit 0; its trimmed stdout. */
  os(args: string[], timeoutMs?: number): Promise<string>;
  /** ssh `target` `cmd` from inside the underlay (`extra`: more ssh options). */
  ssh(target: string, cmd: string, extra?: string[]): Promise<RunResult>;
  /** Retries ssh `target` `cmd` until it exits 0 (within `ms`); its trimmed stdout. */
  sshOk(target: string, cmd: string, extra?: string[], ms?: number): Promise<string>;
  /** ssh options that jump through `cirros@<fip>` to reach a fixed IP. */
  jump(fip: string): string[];
  /** Skips (or fails under CI) the test when the cloud does not run the real drivers; true when it does. */
  requireReal(t: TestContext): boolean;
}

/** Polls `fn` every 200 ms until it returns something other than false; its errors are thrown at once. */
export function until<T>(fn: () => Promise<T | false>, ms: number, what: string): Promise<T> {
  return pollUntil(fn, { timeoutMs: ms, what, everyMs: 200, retryErrors: false });
}

export function realCloud(o: { tmpPrefix: string; env?: Record<string, string>; sshConnectTimeoutS: number }): RealCloud {
  const dir = mkdtempSync(join(tmpdir(), o.tmpPrefix));
  const data = join(dir, 'data');
  const key = join(dir, 'id_ed25519');
  const cloudEnv = { STRATUS_DATAPLANE: 'linux', ...o.env };
  const sshOpts = ['-i', key, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', `ConnectTimeout=${o.sshConnectTimeoutS}`, '-o', 'LogLevel=ERROR'];
  let cloud: StratusProcess | undefined;
  let env: NodeJS.ProcessEnv;
  let real = false;
  let keyMade = false;
  const ssh = (target: string, cmd: string, extra: string[] = []) =>
    run(process.execPath, [BIN, 'netns', 'exec', '--data-dir', data, '--', 'ssh', ...sshOpts, ...extra, target, cmd], { timeoutMs: 20_000 });
  return {
    dir,
    data,
    key,
    sshOpts,
    get cloud() {
      return cloud;
    },
    get real() {
      return real;
    },
    async start() {
      if (!keyMade) {
        await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
        keyMade = true;
      }
      cloud = await startStratusProcess(data, { env: cloudEnv, readyMs: 120_000 });
      env = cliEnv(dir, `${cloud.url}/identity/v3`, { demo: 'demo', admin: 'admin' });
      const health = JSON.stringify(await (await fetch(`${cloud.url}/health`)).json());
      real = /container/.test(health) && /linux/.test(health);
    },
    async cleanup() {
      await cloud?.stop();
      await run(process.execPath, [BIN, 'down', '--data-dir', data], { timeoutMs: 60_000 });
      rmSync(dir, { recursive: true, force: true });
    },
    async os(args, timeoutMs = 60_000) {
      const r = await run('openstack', ['--os-cloud', 'demo', ...args], { env, timeoutMs });
      assert.equal(r.code, 0, `openstack ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim();
    },
    ssh,
    sshOk(target, cmd, extra = [], ms = 45_000) {
      return until(async () => {
        const r = await ssh(target, cmd, extra);
        return r.code === 0 ? r.stdout.trim() : false;
      }, ms, `ssh ${target} ${cmd}`);
    },
    jump(fip) {
      return ['-o', `ProxyCommand=ssh ${sshOpts.join(' ')} -W %h:%p cirros@${fip}`];
    },
    requireReal(t) {
      // Under CI (root, tools installed by scripts/install-deps) the real drivers are required.
      if (!real && process.env.CI === 'true') assert.fail('stratus up did not pick the container and linux drivers (see /health)');
      if (!real) t.skip('stratus up does not run the container and linux drivers here (see /health)');
      return real;
    },
  };
}
