import { createHash, randomBytes } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import type { ExecRequest, ExecSession, LogOptions } from '../api.js';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import { EchoSocket, LogBuffer } from './fake-streams.js';
import { knowsProgram, runArgv, type ShellIo } from './fake-shell.js';
import { parseImageRef } from './image-ref.js';
import { PodIpam } from './ipam.js';
import {
  RuntimeError,
  currentInstance,
  previousInstance,
  type ClaimMount,
  type ContainerConfig,
  type NodeResources,
  type PodRuntime,
  type PulledImage,
  type PullPolicy,
  type RuntimeContainer,
  type RuntimeNodeConfig,
  type RuntimeSandbox,
  type SandboxConfig,
} from './runtime.js';

const PODS = findResource('', 'v1', 'pods')!;

/** Pod annotations the fake runtime reads (`fake.stratus.dev/…`). */
export const FAKE_ANNOTATIONS = {
  /** Regular containers exit after this long (`500ms`, `2s`, `1m`), whatever their command. */
  exitAfter: 'fake.stratus.dev/exit-after',
  /** …with this exit code (default 0). */
  exitCode: 'fake.stratus.dev/exit-code',
  /** `"true"`: containers ignore SIGTERM and stop only when the grace period ends (exit 137). */
  ignoreSigterm: 'fake.stratus.dev/ignore-sigterm',
} as const;

/** Registries the fake "reaches"; any other registry host fails to pull. */
const KNOWN_REGISTRIES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.k8s.io', 'k8s.gcr.io', 'gcr.io', 'quay.io', 'ghcr.io', 'mcr.microsoft.com', 'public.ecr.aws', 'localhost']);

export interface FakeRuntimeOptions {
  /** ContainerCreating → Running takes this long (default 20 ms). */
  startDelayMs?: number;
  /** An image pull takes this long (default 5 ms). */
  pullDelayMs?: number;
  /** Overrides of the reported capacity (defaults: this host's CPUs and memory, 110 pods). */
  capacity?: Partial<NodeResources>;
}

interface FakeContainer extends RuntimeContainer {
  logs: LogBuffer;
  stop: AbortController;
  env: Record<string, string>;
  ignoreSigterm: boolean;
}

interface FakeSandbox {
  uid: string;
  namespace: string;
  name: string;
  hostname: string;
  ip: string;
  createdAt: number;
  annotations: Record<string, string>;
  /** The persistentVolumeClaim volumes the agent resolved (recorded, not mounted). */
  claims: Record<string, ClaimMount>;
  containers: FakeContainer[];
}

/**
 * A kwok-style runtime that runs nothing: sandboxes get a real, unique address from the
 * node's pod CIDR, containers go Running after `startDelayMs`, and what they "do" follows
 * documented rules so tests and demos are deterministic:
 *
 * - **Commands.** A container whose command (command + args) starts with a program the fake
 *   shell knows (`sh -c`, `echo`, `sleep`, `exit`… see `fake-shell.ts`) runs it: its output
 *   becomes the container's log and it exits with the script's status (so a Job's
 *   `sh -c "echo done; exit 0"` completes and `exit 3` fails). No command, an unknown
 *   program (`nginx`, `httpd -f`), `sleep infinity`, or `stdin: true` → a server that runs
 *   until stopped. The annotation `fake.stratus.dev/exit-after: 2s` (+ `…/exit-code: N`)
 *   makes every regular container exit after that time with that code instead.
 * - **Logs.** The first line is `fake runtime: started <container> (image …, command …)`,
 *   then whatever the command echoed (servers add `fake runtime: pretending to run … until
 *   stopped`).
 * - **Images.** Names that are not valid references → `InvalidImageName`; names containing
 *   `invalid`, `nonexistent` or `does-not-exist`, or from a registry host not in
 *   `KNOWN_REGISTRIES` (a host with a port, like a local registry `10.0.0.5:5000`, is
 *   accepted) → `ErrImagePull`. Every other image "exists", also for pullPolicy Never.
 * - **Stopping.** A container stops at once on TERM (exit 143) unless the pod is annotated
 *   `fake.stratus.dev/ignore-sigterm: "true"`; then it waits out the grace period (exit 137).
 * - **Streams** are an echo test double: exec runs the fake shell (unknown programs →
 *   `fake runtime: cannot run X`, exit 127); attach copies stdin to stdout and shows the
 *   container's new log lines; port-forward reaches an `EchoSocket` (bytes echo back, HTTP
 *   requests get a 200 naming pod and port).
 * - **Volumes.** Nothing is mounted; the `persistentVolumeClaim` volumes the agent resolved are
 *   recorded (`claimMounts(uid)`) and each container's log says where its claims would be
 *   mounted (`fake runtime: mounted persistentvolumeclaim data (volume pvc-…, /dir) at /data`).
 * - **Persistence: none.** Everything lives in this object. A new agent over the same object
 *   adopts its pods; when the process ends every fake pod is gone.
 */
export class FakeRuntime implements PodRuntime {
  readonly name = 'fake';
  readonly fake = true;
  readonly version = 'fake://0.1.0';
  private ipam: PodIpam | undefined;
  private readonly pods = new Map<string, FakeSandbox>();
  private readonly listeners = new Set<(uid: string) => void>();
  private readonly startDelayMs: number;
  private readonly pullDelayMs: number;

  constructor(private readonly opts: FakeRuntimeOptions = {}) {
    this.startDelayMs = opts.startDelayMs ?? 20;
    this.pullDelayMs = opts.pullDelayMs ?? 5;
  }

  async init(node: RuntimeNodeConfig): Promise<void> {
    if (this.ipam && this.ipam.cidr === node.podCidr) return;
    if (this.ipam && this.pods.size) throw new RuntimeError('RuntimeInitError', `the fake runtime already serves pod CIDR ${this.ipam.cidr} with ${this.pods.size} pods; it cannot switch to ${node.podCidr}`);
    this.ipam = new PodIpam(node.podCidr);
    node.log?.(`node ${node.nodeName}: FAKE container runtime (${this.version}): pods are simulated, no process runs and nothing survives the process`);
  }

  async close(): Promise<void> {
    for (const uid of [...this.pods.keys()]) await this.removeSandbox(uid, 0);
  }

  capacity(): NodeResources {
    let storage = '61255492Ki';
    try {
      const fs = statfsSync('/');
      storage = `${Math.floor((fs.blocks * fs.bsize) / 1024)}Ki`;
    } catch {
      // keep the default
    }
    return { cpu: String(cpus().length || 1), memory: `${Math.floor(totalmem() / 1024)}Ki`, pods: '110', 'ephemeral-storage': storage, ...this.opts.capacity };
  }

  async runSandbox(cfg: SandboxConfig): Promise<RuntimeSandbox> {
    if (!this.ipam) throw new RuntimeError('CreatePodSandboxError', 'the fake runtime was not initialised: call init() with the node first');
    const existing = this.pods.get(cfg.uid);
    if (existing) return snapshot(existing);
    let ip: string;
    try {
      ip = this.ipam.allocate(cfg.uid);
    } catch (err) {
      throw new RuntimeError('CreatePodSandboxError', (err as Error).message);
    }
    const sb: FakeSandbox = { uid: cfg.uid, namespace: cfg.namespace, name: cfg.name, hostname: cfg.hostname, ip, createdAt: Date.now(), annotations: { ...(cfg.pod.metadata.annotations ?? {}) }, claims: { ...cfg.claimMounts }, containers: [] };
    this.pods.set(cfg.uid, sb);
    return snapshot(sb);
  }

  async removeSandbox(uid: string, graceSeconds: number): Promise<void> {
    const sb = this.pods.get(uid);
    if (!sb) return;
    await Promise.all(sb.containers.filter((c) => c.state === 'running').map((c) => this.stopInstance(sb, c, graceSeconds)));
    if (this.pods.get(uid) === sb) {
      this.pods.delete(uid);
      this.ipam?.release(uid);
    }
  }

  async pullImage(image: string, policy: PullPolicy): Promise<PulledImage> {
    const ref = parseImageRef(image);
    if (!ref) throw new RuntimeError('InvalidImageName', `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`);
    const bad = /invalid|nonexistent|does-not-exist/.test(ref.normalized);
    const host = ref.registry.replace(/:\d+$/, '');
    const unknownRegistry = !KNOWN_REGISTRIES.has(host) && !/:\d+$/.test(ref.registry) && !/^\d+\.\d+\.\d+\.\d+$/.test(host);
    if (bad || unknownRegistry) {
      const why = bad ? 'names containing "invalid", "nonexistent" or "does-not-exist" never pull' : `registry ${ref.registry} is not one it knows`;
      throw new RuntimeError('ErrImagePull', `failed to pull and unpack image "${ref.normalized}": not found (fake runtime: ${why}; check the image name)`);
    }
    if (policy !== 'Never') await delay(this.pullDelayMs);
    const digest = createHash('sha256').update(ref.normalized).digest('hex');
    return { ref: ref.normalized, imageID: `${ref.registry}/${ref.repository}@sha256:${digest}` };
  }

  async startContainer(uid: string, cfg: ContainerConfig): Promise<RuntimeContainer> {
    const sb = this.pods.get(uid);
    if (!sb) throw new RuntimeError('CreateContainerError', `pod sandbox ${uid} does not exist (was it removed?)`);
    await delay(this.startDelayMs);
    if (this.pods.get(uid) !== sb) throw new RuntimeError('CreateContainerError', `pod sandbox ${uid} was removed while container ${cfg.name} was starting`);
    const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOSTNAME: sb.hostname };
    for (const e of cfg.env) env[e.name] = e.value;
    const c: FakeContainer = {
      id: `fake://${randomBytes(16).toString('hex')}`,
      name: cfg.name,
      kind: cfg.kind,
      attempt: cfg.attempt,
      image: cfg.image,
      imageID: cfg.imageID,
      state: 'running',
      startedAt: Date.now(),
      logs: new LogBuffer(),
      stop: new AbortController(),
      env,
      ignoreSigterm: sb.annotations[FAKE_ANNOTATIONS.ignoreSigterm] === 'true',
    };
    // Keep the new instance and the one before it, per container name.
    const prev = currentInstance(sb as unknown as RuntimeSandbox, cfg.name) as FakeContainer | undefined;
    sb.containers = sb.containers.filter((x) => x.name !== cfg.name || x === prev);
    sb.containers.push(c);
    this.run(sb, c, cfg);
    return strip(c);
  }

  async stopContainer(uid: string, containerId: string, graceSeconds: number): Promise<void> {
    const sb = this.pods.get(uid);
    const c = sb?.containers.find((x) => x.id === containerId);
    if (sb && c && c.state === 'running') await this.stopInstance(sb, c, graceSeconds);
  }

  /** The persistentVolumeClaim volumes recorded for a pod (volume name → mount); {} when none. */
  claimMounts(uid: string): Record<string, ClaimMount> {
    return { ...this.pods.get(uid)?.claims };
  }

  sandbox(uid: string): RuntimeSandbox | undefined {
    const sb = this.pods.get(uid);
    return sb ? snapshot(sb) : undefined;
  }

  sandboxes(): RuntimeSandbox[] {
    return [...this.pods.values()].map(snapshot);
  }

  onChange(listener: (uid: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // --- PodStreams: the echo test double -------------------------------------------------

  async logs(namespace: string, pod: string, container: string, opts: LogOptions): Promise<Readable> {
    const sb = this.find(namespace, pod);
    const c = opts.previous ? (previousInstance(sb as unknown as RuntimeSandbox, container) as FakeContainer | undefined) : (currentInstance(sb as unknown as RuntimeSandbox, container) as FakeContainer | undefined);
    if (!c) {
      if (opts.previous) throw KubeError.badRequest(`previous terminated container "${container}" in pod "${pod}" not found`);
      throw KubeError.badRequest(`container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
    }
    return c.logs.stream(opts);
  }

  async exec(req: ExecRequest): Promise<ExecSession> {
    const { sb, c } = this.running(req);
    if (req.command.length === 0) throw KubeError.badRequest('you must specify at least one command for the container');
    const session = makeSession(req);
    const io: ShellIo = {
      out: session.out,
      err: session.err,
      stdin: session.stdin,
      hostname: sb.hostname,
      env: c.env,
      mode: 'exec',
      signal: session.abort.signal,
    };
    const stopWithContainer = () => session.kill();
    c.stop.signal.addEventListener('abort', stopWithContainer, { once: true });
    session.finish(runArgv(req.command, io).finally(() => c.stop.signal.removeEventListener('abort', stopWithContainer)));
    return session.api;
  }

  async attach(req: ExecRequest): Promise<ExecSession> {
    const { c } = this.running(req);
    const session = makeSession(req);
    const unsubscribe = c.logs.subscribe((line) => {
      if (line) session.out(`${line.text}\n`);
    });
    const exit = new Promise<number>((resolve) => {
      session.abort.signal.addEventListener('abort', () => resolve(0), { once: true });
      c.stop.signal.addEventListener('abort', () => resolve(c.exitCode ?? 0), { once: true });
      if (session.stdin) {
        (async () => {
          for await (const chunk of session.stdin!) session.out(chunk.toString());
          resolve(0);
        })().catch(() => resolve(0));
      }
    });
    session.finish(exit.finally(unsubscribe));
    return session.api;
  }

  async portForward(namespace: string, pod: string, port: number): Promise<Duplex> {
    const sb = this.find(namespace, pod);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw KubeError.badRequest(`invalid port ${port}: must be 1-65535`);
    if (!sb.containers.some((c) => c.state === 'running')) throw KubeError.badRequest(`pod ${namespace}/${pod} has no running container to forward port ${port} to`);
    return new EchoSocket(`${namespace}/${pod}`, port);
  }

  // --- internals ---------------------------------------------------------------------------

  private run(sb: FakeSandbox, c: FakeContainer, cfg: ContainerConfig): void {
    const argv = [...cfg.command, ...cfg.args];
    c.logs.write(`fake runtime: started ${cfg.name} (image ${cfg.image}${argv.length ? `, command ${argv.map(quote).join(' ')}` : ''})\n`);
    for (const m of cfg.volumeMounts ?? []) {
      const claim = sb.claims[m.name];
      if (claim) c.logs.write(`fake runtime: mounted persistentvolumeclaim ${claim.claimName} (volume ${claim.volumeName}, ${claim.path}) at ${m.mountPath}${claim.readOnly || m.readOnly ? ' read-only' : ''}\n`);
    }
    const exitAfter = cfg.kind === 'regular' ? parseDuration(sb.annotations[FAKE_ANNOTATIONS.exitAfter]) : undefined;
    if (exitAfter !== undefined) {
      const code = Number.parseInt(sb.annotations[FAKE_ANNOTATIONS.exitCode] ?? '0', 10) || 0;
      const t = setTimeout(() => this.finish(sb, c, code, true), exitAfter);
      c.stop.signal.addEventListener('abort', () => clearTimeout(t), { once: true });
      return;
    }
    if (cfg.stdin || !knowsProgram(argv)) {
      // A server: runs until stopped.
      c.logs.write(`fake runtime: pretending to run ${argv.length ? argv.join(' ') : "the image's default command"} until stopped\n`);
      return;
    }
    const io: ShellIo = { out: (t) => c.logs.write(t), err: (t) => c.logs.write(t), stdin: null, hostname: sb.hostname, env: c.env, mode: 'container', signal: c.stop.signal };
    runArgv(argv, io).then(
      (code) => this.finish(sb, c, code, true),
      (err: Error) => {
        c.logs.write(`fake runtime: ${err.message}\n`);
        this.finish(sb, c, 128, true);
      },
    );
  }

  /** Marks an instance exited (once) and tells listeners when it happened by itself. */
  private finish(sb: FakeSandbox, c: FakeContainer, code: number, byItself: boolean): void {
    if (c.state !== 'running') return;
    c.state = 'exited';
    c.exitCode = code;
    c.finishedAt = Date.now();
    c.reason = code === 0 ? 'Completed' : 'Error';
    c.logs.end();
    c.stop.abort();
    if (byItself) setImmediate(() => {
      for (const l of this.listeners) l(sb.uid);
    });
  }

  private async stopInstance(sb: FakeSandbox, c: FakeContainer, graceSeconds: number): Promise<void> {
    if (c.ignoreSigterm && graceSeconds > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceSeconds * 1000);
        c.stop.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        }, { once: true });
      });
      this.finish(sb, c, 137, false);
    } else this.finish(sb, c, c.ignoreSigterm ? 137 : 143, false);
  }

  private find(namespace: string, pod: string): FakeSandbox {
    for (const sb of this.pods.values()) if (sb.namespace === namespace && sb.name === pod) return sb;
    throw KubeError.notFound(PODS, pod);
  }

  private running(req: ExecRequest): { sb: FakeSandbox; c: FakeContainer } {
    const sb = this.find(req.namespace, req.pod);
    const c = currentInstance(sb as unknown as RuntimeSandbox, req.container) as FakeContainer | undefined;
    if (!c) throw KubeError.badRequest(`container "${req.container}" in pod "${req.pod}" is waiting to start: ContainerCreating`);
    if (c.state !== 'running') throw KubeError.badRequest(`container "${req.container}" in pod "${req.pod}" is not running (it exited with ${c.exitCode})`);
    return { sb, c };
  }
}

/** The plumbing of one exec or attach session. */
function makeSession(req: ExecRequest) {
  const stdin = req.stdin ? new PassThrough() : null;
  const stdout = req.stdout || req.tty ? new PassThrough() : null;
  const stderr = req.stderr && !req.tty ? new PassThrough() : null;
  const abort = new AbortController();
  const tty = (t: string) => (req.tty ? t.replace(/\r?\n/g, '\r\n') : t);
  let exit: Promise<number> = Promise.resolve(0);
  const kill = () => {
    if (abort.signal.aborted) return;
    abort.abort();
    stdin?.end();
  };
  const session = {
    stdin,
    abort,
    kill,
    out: (t: string) => {
      if (stdout && !stdout.writableEnded) stdout.write(tty(t));
    },
    err: (t: string) => {
      const target = req.tty ? stdout : stderr;
      if (target && !target.writableEnded) target.write(tty(t));
    },
    finish(p: Promise<number>) {
      exit = p.then(
        (code) => code,
        () => 1,
      ).then((code) => {
        stdout?.end();
        stderr?.end();
        abort.abort();
        return code;
      });
    },
    api: undefined as unknown as ExecSession,
  };
  session.api = {
    stdin,
    stdout,
    stderr,
    resize: () => undefined,
    get exit() {
      return exit;
    },
    kill,
  };
  return session;
}

function snapshot(sb: FakeSandbox): RuntimeSandbox {
  return { uid: sb.uid, namespace: sb.namespace, name: sb.name, ip: sb.ip, createdAt: sb.createdAt, containers: sb.containers.map(strip) };
}

function strip(c: FakeContainer): RuntimeContainer {
  const out: RuntimeContainer = { id: c.id, name: c.name, kind: c.kind, attempt: c.attempt, image: c.image, imageID: c.imageID, state: c.state, startedAt: c.startedAt };
  if (c.finishedAt !== undefined) out.finishedAt = c.finishedAt;
  if (c.exitCode !== undefined) out.exitCode = c.exitCode;
  if (c.reason !== undefined) out.reason = c.reason;
  return out;
}

/** `500ms`, `2s`, `1.5m`, `1h`, or a bare number of seconds; undefined when absent or bad. */
export function parseDuration(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Math.round(Number(m[1]) * unit);
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `"${word.replace(/(["\\$`])/g, '\\$1')}"`;
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}
