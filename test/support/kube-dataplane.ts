import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { leftovers } from '../../src/dataplane/cleanup.js';
import { hostRunner, inNetns } from '../../src/dataplane/exec.js';
import { probe } from '../../src/dataplane/probe.js';
import { startKubeCluster, type KubeCluster } from '../../src/kube/cluster.js';
import { purgeRuntimes } from '../../src/kube/net/real-nodes.js';
import { cleanEnv, onPath, run, type RunResult } from './proc.js';
import { pollUntil } from './poll.js';

/** Why real-node Kubernetes tests cannot run here, or undefined. */
export function kubeDataplaneSkipReason(): string | undefined {
  const p = probe(['network']);
  if (!p.root) return 'needs root (real nodes are network namespaces, pods are crun containers)';
  if (p.missing.length) return `missing tools: ${p.missing.map((t) => t.bin).join(', ')}`;
  for (const bin of ['kubectl', 'crun', 'busybox', 'curl', 'socat']) if (!onPath(bin)) return `${bin} is not installed`;
  return undefined;
}

/** A child whose stdout is collected; `waitFor` resolves on the first matching output. */
export interface Child {
  proc: ChildProcess;
  out(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  kill(): Promise<void>;
}

export interface RealKube {
  cluster: KubeCluster;
  dir: string;
  dataDir: string;
  log: string[];
  kubectl(args: string[], o?: { stdin?: string; timeoutMs?: number }): Promise<RunResult>;
  /** kubectl that throws with its output (and the recent server log) on a non-zero exit. */
  ok(args: string[], o?: { stdin?: string; timeoutMs?: number }): Promise<string>;
  /** A long-running kubectl (port-forward, logs -f). */
  spawn(args: string[]): Child;
  /** `stratus netns exec --data-dir D -- argv` (the CLI, as a user would). */
  netnsExec(argv: string[], timeoutMs?: number): Promise<RunResult>;
  /** argv inside a node's namespace. */
  inNode(node: string, argv: string[], timeoutMs?: number): Promise<RunResult>;
  apply(yaml: string): Promise<string>;
}

const STRATUS = new URL('../../../bin/stratus.js', import.meta.url).pathname;

function child(proc: ChildProcess): Child {
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  return {
    proc,
    out: () => out,
    waitFor: (re, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const end = Date.now() + timeoutMs;
        const tick = () => {
          const m = re.exec(out);
          if (m) return resolve(m[0]);
          if (proc.exitCode !== null || Date.now() > end) return reject(new Error(`no ${re} in output of ${proc.spawnargs.join(' ')}: ${out}`));
          setTimeout(tick, 50);
        };
        tick();
      }),
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null || !proc.pid) return;
      const exited = new Promise((r) => proc.once('exit', r));
      process.kill(proc.pid, 'SIGTERM');
      await exited;
    },
  };
}

/**
 * A 2-node (or `nodes`) cluster with real nodes started in this process, with short node
 * timings (heartbeat 1 s, lease 3 s, node monitor grace 4 s, eviction 2 s) so that a stopped
 * agent makes its node NotReady and its pods move within seconds. Teardown (in `t.after`):
 * cluster close, then a check that no namespace, process or mount of the cluster is left.
 */
export async function startRealKube(t: TestContext, o: { nodes?: number } = {}): Promise<RealKube> {
  const dir = mkdtempSync(join(tmpdir(), 'stx-kube-dp-'));
  const dataDir = join(dir, 'data');
  const children = new Set<Child>();
  const log: string[] = [];
  const started: { cluster?: KubeCluster } = {};
  t.after(async () => {
    for (const c of children) await c.kill();
    await started.cluster?.close();
    await purgeRuntimes(dataDir, hostRunner);
    const left = leftovers(dataDir);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir));
    rmSync(dir, { recursive: true, force: true });
    if (left.namespaces.length || left.processes.length || left.rootLinks.length || mounts.length) throw new Error(`kube cluster left ${JSON.stringify({ ...left, mounts })}`);
  });
  const c = await startKubeCluster({
    dataDir,
    port: 0,
    nodes: o.nodes ?? 2,
    realNodes: true,
    controllers: { nodeMonitorGracePeriodMs: 4_000, podEvictionTimeoutMs: 2_000 },
    agent: { heartbeatMs: 1_000, leaseDurationSeconds: 3, backoff: { initialMs: 1_000, maxMs: 10_000 } },
    log: (l) => {
      log.push(l);
      if (log.length > 3000) log.splice(0, 1500);
      if (process.env.KUBE_TEST_LOG) process.stderr.write(l + '\n');
    },
  });
  started.cluster = c;
  const cacheDir = join(dir, 'kubectl-cache');
  const base = ['--kubeconfig', c.kubeconfigPath, '--cache-dir', cacheDir];
  const env = cleanEnv({ KUBECONFIG: c.kubeconfigPath, HOME: dir });
  const kubectl: RealKube['kubectl'] = (args, opt = {}) =>
    new Promise((resolve, reject) => {
      const p = spawn('kubectl', [...base, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => p.kill('SIGKILL'), opt.timeoutMs ?? 60_000);
      p.once('error', reject);
      p.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
      p.stdin.on('error', () => {});
      p.stdin.end(opt.stdin ?? '');
    });
  const ok: RealKube['ok'] = async (args, opt) => {
    const r = await kubectl(args, opt);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nrecent log:\n${log.slice(-20).join('\n')}`);
    return r.stdout;
  };
  return {
    cluster: c,
    dir,
    dataDir,
    log,
    kubectl,
    ok,
    spawn(args) {
      const ch = child(spawn('kubectl', [...base, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
      children.add(ch);
      ch.proc.once('exit', () => children.delete(ch));
      return ch;
    },
    netnsExec: (argv, timeoutMs = 20_000) => run(process.execPath, [STRATUS, 'netns', 'exec', '--data-dir', dataDir, '--', ...argv], { timeoutMs }),
    inNode(node, argv, timeoutMs = 20_000) {
      const n = c.real!.nodes.find((x) => x.plan.name === node)!;
      const full = inNetns(n.plan.netns, argv);
      return run(full[0]!, full.slice(1), { timeoutMs });
    },
    apply(yaml) {
      const f = join(dir, `m-${Date.now()}-${Math.random().toString(16).slice(2)}.yaml`);
      writeFileSync(f, yaml);
      return ok(['apply', '-f', f]);
    },
  };
}

/** Polls `fn` (every 100 ms) until it returns something other than undefined/false. */
export function until<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, what: string): Promise<T> {
  return pollUntil(fn, { timeoutMs, what, everyMs: 100 });
}
