import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { leftovers } from '../../src/dataplane/cleanup.js';
import { startKubeCluster, type KubeCluster } from '../../src/kube/cluster.js';
import type { ControllerOptions } from '../../src/kube/controllers/index.js';
import { cleanEnv, run, type RunResult } from './proc.js';
import { pollUntil } from './poll.js';

const STRATUS = new URL('../../../bin/stratus.js', import.meta.url).pathname;

/** A cluster started in this process for one suite, plus a kubectl bound to it. */
export interface TestKube {
  cluster: KubeCluster;
  dir: string;
  /** The cluster's data dir (`<dir>/data`): `stratus netns exec --data-dir` / `kube down --data-dir` take it. */
  dataDir: string;
  /** Fresh per suite: discovery and OpenAPI caches key on host:port (reference §7.13). */
  cacheDir: string;
  /** Runs the real kubectl against the cluster; never rejects on a non-zero exit. */
  kubectl(args: string[], opts?: { stdin?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<RunResult>;
  /** Like kubectl(), but fails the test with kubectl's output when the exit status is not 0. */
  ok(args: string[], opts?: { stdin?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<string>;
  /** Writes a manifest file in the suite's temp dir and returns its path. */
  manifest(name: string, yaml: string): string;
  /** Starts kubectl as a long-running child (get -w, port-forward, logs -f). */
  spawn(args: string[], env?: Record<string, string>): LineProcess;
}

/** A child process whose stdout is read line by line. */
export interface LineProcess {
  proc: ChildProcess;
  /** Resolves once `n` stdout lines arrived (rejects after `timeoutMs` with what was seen). */
  lines(n: number, timeoutMs?: number): Promise<string[]>;
  /** Resolves with the first stdout line matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  stderr(): string;
  /** Kills the child by its PID and waits for it to exit. */
  kill(): Promise<void>;
}

function lineProcess(proc: ChildProcess): LineProcess {
  const seen: string[] = [];
  let partial = '';
  let err = '';
  const waiters = new Set<() => void>();
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    partial += d;
    const parts = partial.split('\n');
    partial = parts.pop()!;
    seen.push(...parts);
    for (const w of waiters) w();
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => {
    err += d;
  });
  proc.once('exit', () => {
    for (const w of waiters) w();
  });
  const wait = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const tryIt = () => {
        const v = check();
        if (v !== undefined) {
          done();
          resolve(v);
        } else if (proc.exitCode !== null || proc.signalCode !== null) {
          done();
          reject(new Error(`kubectl exited (${proc.exitCode ?? proc.signalCode}) before ${what}; stdout: ${JSON.stringify(seen)} stderr: ${err}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; stdout: ${JSON.stringify(seen)} stderr: ${err}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(tryIt);
      };
      waiters.add(tryIt);
      tryIt();
    });
  return {
    proc,
    lines: (n, timeoutMs = 15_000) => wait(() => (seen.length >= n ? seen.slice(0, n) : undefined), timeoutMs, `${n} lines`),
    waitFor: (re, timeoutMs = 15_000) => wait(() => seen.find((l) => re.test(l)), timeoutMs, `a line matching ${re}`),
    stderr: () => err,
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null || !proc.pid) return;
      const exited = new Promise((r) => proc.once('exit', r));
      process.kill(proc.pid, 'SIGTERM');
      const t = setTimeout(() => proc.pid && proc.exitCode === null && process.kill(proc.pid, 'SIGKILL'), 3_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Options of {@link startTestKube}. */
export interface TestKubeOptions {
  nodes?: number;
  kubeVersion?: string;
  /**
   * Real nodes (root only): network namespaces in an isolated underlay, crun pods, the local
   * registry seeded with busybox. Teardown then also checks that the cluster's close left no
   * namespace, process, root link or mount; anything left is removed with `stratus kube down`
   * and reported as a failure.
   */
  realNodes?: boolean;
  /** Controller options (e.g. a `FakeClock` for CronJobs). */
  controllers?: ControllerOptions;
}

/** What a real-node cluster of `dataDir` left behind (empty lists when nothing). */
function realLeftovers(dataDir: string, dir: string) {
  const left = leftovers(dataDir);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(dir));
  const { namespaces, processes, rootLinks } = left;
  return { namespaces, processes, rootLinks, mounts, any: namespaces.length + processes.length + rootLinks.length + mounts.length > 0 };
}

/**
 * Starts a cluster (port 0, temp data dir, `nodes` agents: fake runtime, or real nodes with
 * `realNodes`) for the suite and registers its teardown (children, cluster close, leftover
 * check for real nodes, temp dir) with `t.after`, so cleanup happens even when a test fails.
 */
export async function startTestKube(t: TestContext, opts: TestKubeOptions = {}): Promise<TestKube> {
  const dir = mkdtempSync(join(tmpdir(), opts.realNodes ? 'stx-kube-kubectl-' : 'stratus-kube-'));
  const dataDir = join(dir, 'data');
  const children = new Set<LineProcess>();
  const started: KubeCluster[] = [];
  t.after(async () => {
    for (const c of children) await c.kill();
    for (const c of started) await c.close();
    if (!opts.realNodes) {
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    // The close path must leave nothing; if it did, `kube down` removes it (and the test fails).
    const left = realLeftovers(dataDir, dir);
    if (left.any) await run(process.execPath, [STRATUS, 'kube', 'down', '--data-dir', dataDir], { timeoutMs: 60_000 });
    const after = realLeftovers(dataDir, dir);
    // Never rm -r through a mount that survived (a hostPath bind would reach host files).
    if (after.mounts.length === 0) rmSync(dir, { recursive: true, force: true });
    if (left.any) throw new Error(`closing the cluster left ${JSON.stringify(left)}; after kube down: ${JSON.stringify(after)}`);
  });
  const logLines: string[] = [];
  const cluster = await startKubeCluster({
    dataDir,
    port: 0,
    nodes: opts.nodes ?? 2,
    kubeVersion: opts.kubeVersion,
    realNodes: opts.realNodes,
    controllers: opts.controllers,
    log: (l) => {
      logLines.push(l);
      if (logLines.length > 2000) logLines.splice(0, 1000);
      if (process.env.KUBE_TEST_LOG) process.stderr.write(l + '\n');
    },
  });
  started.push(cluster);
  const cacheDir = join(dir, 'kubectl-cache');
  const baseArgs = ['--kubeconfig', cluster.kubeconfigPath, '--cache-dir', cacheDir];
  const env = (extra?: Record<string, string>) => cleanEnv({ KUBECONFIG: cluster.kubeconfigPath, HOME: dir, ...extra });
  const kubectl: TestKube['kubectl'] = async (args, o = {}) => {
    if (o.stdin === undefined) return run('kubectl', [...baseArgs, ...args], { env: env(o.env), timeoutMs: o.timeoutMs ?? 60_000 });
    return new Promise((resolve, reject) => {
      const p = spawn('kubectl', [...baseArgs, ...args], { env: env(o.env), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 60_000);
      p.once('error', reject);
      p.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
      p.stdin.end(o.stdin);
    });
  };
  return {
    cluster,
    dir,
    dataDir,
    cacheDir,
    kubectl,
    async ok(args, o) {
      const r = await kubectl(args, o);
      if (r.code !== 0) {
        throw new Error(`kubectl ${args.join(' ')} exited ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nrecent server log:\n${logLines.slice(-15).join('\n')}`);
      }
      return r.stdout;
    },
    manifest(name, yaml) {
      const p = join(dir, name);
      writeFileSync(p, yaml);
      return p;
    },
    spawn(args, extraEnv) {
      const lp = lineProcess(spawn('kubectl', [...baseArgs, ...args], { env: env(extraEnv), stdio: ['ignore', 'pipe', 'pipe'] }));
      children.add(lp);
      lp.proc.once('exit', () => children.delete(lp));
      return lp;
    },
  };
}

/** Polls `fn` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  return pollUntil(fn, { timeoutMs, what });
}
