import type { PodRuntime } from './runtime.js';
import type { ContainerSpec, ProbeSpec } from './pod-spec.js';
import type { PodMemory } from './pod-plan.js';

/**
 * Readiness, liveness and startup probes, run by the agent through the runtime's streams so
 * they work the same on every runtime: `exec` through `runtime.exec`, `httpGet` and
 * `tcpSocket` through `runtime.portForward` (a real runtime dials the pod's IP there, as the
 * kubelet does). Results land in the pod's memory (`ready`/`started` by container instance
 * id); `changed(uid)` asks for a new sync. Liveness (and startup) failing `failureThreshold`
 * times in a row stops the container, and the restart policy takes over.
 */
export class Prober {
  private readonly loops = new Map<string, { uid: string; timer: NodeJS.Timeout | undefined; stopped: boolean }>();

  constructor(
    private readonly runtime: PodRuntime,
    private readonly changed: (uid: string) => void,
    private readonly log: (msg: string) => void,
  ) {}

  /** Starts the probe loops of a running container instance (once per instance). */
  ensure(pod: { uid: string; namespace: string; name: string; graceSeconds: number }, c: ContainerSpec, instanceId: string, memory: PodMemory): void {
    const probes: ['readiness' | 'liveness' | 'startup', ProbeSpec][] = [];
    if (c.startupProbe) probes.push(['startup', c.startupProbe]);
    if (c.readinessProbe) probes.push(['readiness', c.readinessProbe]);
    if (c.livenessProbe) probes.push(['liveness', c.livenessProbe]);
    for (const [kind, spec] of probes) {
      const key = `${instanceId}/${kind}`;
      if (this.loops.has(key)) continue;
      const loop = { uid: pod.uid, timer: undefined as NodeJS.Timeout | undefined, stopped: false };
      this.loops.set(key, loop);
      let successes = 0;
      let failures = 0;
      const tick = async () => {
        if (loop.stopped) return;
        // Liveness and readiness wait for the startup probe, as in the kubelet.
        const gated = kind !== 'startup' && c.startupProbe && !memory.started.get(instanceId);
        if (!gated) {
          const ok = await this.probe(pod, c, spec);
          if (loop.stopped) return;
          if (ok) {
            successes++;
            failures = 0;
          } else {
            failures++;
            successes = 0;
          }
          const success = successes >= (kind === 'readiness' ? (spec.successThreshold ?? 1) : 1);
          const failure = failures >= (spec.failureThreshold ?? 3);
          if (kind === 'readiness') {
            const before = memory.ready.get(instanceId);
            if (success && before !== true) memory.ready.set(instanceId, true);
            else if (failure && before !== false) memory.ready.set(instanceId, false);
            else if (before === undefined && !ok) memory.ready.set(instanceId, false);
            if (memory.ready.get(instanceId) !== before) this.changed(pod.uid);
          } else if (kind === 'startup' && success && !memory.started.get(instanceId)) {
            memory.started.set(instanceId, true);
            this.changed(pod.uid);
          } else if (failure && (kind === 'liveness' || (kind === 'startup' && !memory.started.get(instanceId)))) {
            this.log(`pod ${pod.namespace}/${pod.name}: container ${c.name} failed its ${kind} probe ${failures} times; restarting it`);
            loop.stopped = true;
            await this.runtime.stopContainer(pod.uid, instanceId, pod.graceSeconds).catch(() => undefined);
            this.changed(pod.uid);
            return;
          }
        }
        if (!loop.stopped) loop.timer = setTimeout(() => void tick(), Math.max(1, spec.periodSeconds ?? 10) * 1000);
      };
      loop.timer = setTimeout(() => void tick(), Math.max(0, spec.initialDelaySeconds ?? 0) * 1000);
    }
  }

  /** Stops the loops of one pod, or of instances no longer in `keep`. */
  stopPod(uid: string, keep: Set<string> = new Set()): void {
    for (const [key, loop] of this.loops) {
      if (loop.uid !== uid || keep.has(key.slice(0, key.lastIndexOf('/')))) continue;
      loop.stopped = true;
      if (loop.timer) clearTimeout(loop.timer);
      this.loops.delete(key);
    }
  }

  stopAll(): void {
    for (const loop of this.loops.values()) {
      loop.stopped = true;
      if (loop.timer) clearTimeout(loop.timer);
    }
    this.loops.clear();
  }

  private async probe(pod: { namespace: string; name: string }, c: ContainerSpec, spec: ProbeSpec): Promise<boolean> {
    const timeoutMs = Math.max(1, spec.timeoutSeconds ?? 1) * 1000;
    try {
      if (spec.exec) {
        const session = await this.runtime.exec({ namespace: pod.namespace, pod: pod.name, container: c.name, command: spec.exec.command ?? [], stdin: false, stdout: true, stderr: true, tty: false });
        session.stdout?.resume();
        session.stderr?.resume();
        const code = await withTimeout(session.exit, timeoutMs, () => session.kill());
        return code === 0;
      }
      const target = spec.httpGet ?? spec.tcpSocket;
      if (!target) return true;
      const port = resolvePort(c, target.port);
      if (port === undefined) return false;
      const sock = await this.runtime.portForward(pod.namespace, pod.name, port);
      if (!spec.httpGet) {
        sock.destroy();
        return true;
      }
      const answer = new Promise<boolean>((resolve) => {
        let head = '';
        sock.on('data', (d: Buffer) => {
          head += d.toString('latin1');
          const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
          if (m) resolve(Number(m[1]) >= 200 && Number(m[1]) < 400);
          else if (head.includes('\r\n')) resolve(false);
        });
        sock.on('end', () => resolve(false));
        sock.on('error', () => resolve(false));
      });
      sock.write(`GET ${spec.httpGet.path ?? '/'} HTTP/1.1\r\nHost: ${spec.httpGet.host ?? 'localhost'}:${port}\r\nUser-Agent: kube-probe/1.32\r\nConnection: close\r\n\r\n`);
      const ok = await withTimeout(answer, timeoutMs, () => undefined);
      sock.destroy();
      return ok === true;
    } catch {
      return false;
    }
  }
}

function resolvePort(c: ContainerSpec, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => void): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      onTimeout();
      resolve(undefined);
    }, ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      () => {
        clearTimeout(t);
        resolve(undefined);
      },
    );
  });
}
