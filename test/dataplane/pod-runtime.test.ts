import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { CrunRuntime, type ImageCacheLike, type LocalImageLike, type PodNetworkLike } from '../../src/kube/agent/crun/index.js';
import { currentInstance, type ContainerConfig, type RuntimeSandbox } from '../../src/kube/agent/runtime.js';
import type { KubeObject } from '../../src/kube/types.js';
import { openRegistry, bootstrapCluster } from '../../src/kube/apiserver/registry.js';
import { createApiServer } from '../../src/kube/apiserver/server.js';
import { streamHooks } from '../../src/kube/apiserver/stream-hooks.js';
import { startNodeAgent } from '../../src/kube/agent/index.js';
import { KubeClient } from '../../src/kube/client/client.js';
import { findResource } from '../../src/kube/resources.js';
import { pollUntil } from '../support/poll.js';

const root = process.getuid?.() === 0;
const haveCrun = root && (() => {
  try {
    execFileSync('crun', ['--version'], { stdio: 'ignore' });
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return existsSync('/bin/busybox');
  } catch {
    return false;
  }
})();
const skip = !root ? 'needs root (crun, namespaces, cgroups, overlay mounts)' : !haveCrun ? 'needs crun, socat and busybox-static (apt-get install -y crun socat busybox-static)' : false;

const run = (argv: string[], input?: string) => execFileSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8', stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });

/**
 * A small PodNetwork for this test (the node-network helper writes the real one): a node netns
 * made here with a `cni0` bridge, and per pod a netns with a veth into that bridge. Nothing
 * touches the root namespace.
 */
class TestNetwork implements PodNetworkLike {
  readonly nodeNetns: string;
  private readonly made = new Set<string>();
  readonly dns = { nameservers: ['10.96.0.10'], searches: (ns: string) => [`${ns}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'], options: ['ndots:5'] };

  constructor(readonly tag: string) {
    this.nodeNetns = `/run/netns/${tag}-node`;
  }

  setup(): void {
    run(['ip', 'netns', 'add', `${this.tag}-node`]);
    run(['ip', '-n', `${this.tag}-node`, '-batch', '-'], 'link set lo up\nlink add cni0 type bridge\naddr add 10.244.7.1/24 dev cni0\nlink set cni0 up\n');
  }

  private ns(uid: string): string {
    return `${this.tag}-p-${uid.slice(0, 8)}`;
  }

  async createPodNetns(uid: string, ip: string): Promise<string> {
    const ns = this.ns(uid);
    if (existsSync(`/run/netns/${ns}`)) return `/run/netns/${ns}`;
    run(['ip', 'netns', 'add', ns]);
    this.made.add(ns);
    const host = `v${uid.slice(0, 8)}`;
    run(['ip', '-n', `${this.tag}-node`, 'link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    run(['ip', '-n', `${this.tag}-node`, '-batch', '-'], `link set ${host} master cni0\nlink set ${host} up\n`);
    run(['ip', '-n', ns, '-batch', '-'], `link set lo up\naddr add ${ip}/24 dev eth0\nlink set eth0 up\nroute add default via 10.244.7.1\n`);
    return `/run/netns/${ns}`;
  }

  async deletePodNetns(uid: string): Promise<void> {
    const ns = this.ns(uid);
    if (existsSync(`/run/netns/${ns}`)) run(['ip', 'netns', 'del', ns]);
    this.made.delete(ns);
  }

  teardown(): void {
    for (const ns of this.made) if (existsSync(`/run/netns/${ns}`)) run(['ip', 'netns', 'del', ns]);
    if (existsSync(this.nodeNetns)) run(['ip', 'netns', 'del', `${this.tag}-node`]);
  }
}

/** A one-layer busybox image made from busybox-static, and an image cache that knows only it. */
function busyboxImage(dir: string): LocalImageLike {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  for (const applet of run(['/bin/busybox', '--list']).split('\n').filter(Boolean)) {
    if (applet !== 'busybox') symlinkSync('busybox', join(dir, 'bin', applet));
  }
  for (const d of ['etc', 'tmp', 'root', 'www']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return { ref: 'docker.io/library/busybox:latest', imageID: 'docker.io/library/busybox@sha256:' + '1'.repeat(64), layers: [dir], config: { cmd: ['sh'], env: ['PATH=/bin', 'IMAGE_VAR=from-image'] } };
}

class TestImages implements ImageCacheLike {
  constructor(private readonly img: LocalImageLike) {}
  async pull(ref: string): Promise<LocalImageLike> {
    if (ref === 'busybox' || ref === this.img.ref) return this.img;
    throw Object.assign(new Error(`image "${ref}" not found in the registry`), { reason: 'ErrImagePull' });
  }
}

function podObject(uid: string, name: string, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid }, spec: { containers: [], ...extra } } as KubeObject;
}

function container(name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig {
  return { name, kind: 'regular', image: 'busybox', imageRef: 'docker.io/library/busybox:latest', imageID: 'sha', command, args: [], env: [], stdin: false, tty: false, attempt: 0, ...extra };
}

function eventually<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  return pollUntil(fn, { timeoutMs: ms, what, everyMs: 20, retryErrors: false, accept: 'truthy' });
}

async function readAll(r: Readable | null): Promise<string> {
  if (!r) return '';
  let s = '';
  for await (const b of r) s += b.toString();
  return s;
}

const exited = (rt: CrunRuntime, uid: string, name: string) => eventually(() => {
  const c = currentInstance(rt.sandbox(uid), name);
  return c?.state === 'exited' ? c : undefined;
}, 10_000, `${name} to exit`);

/** RSS (kB) of a process tree: the process and all its descendants. */
function treeRss(pid: number): number {
  const out = run(['ps', '-e', '-o', 'pid=,ppid=,rss=']);
  const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const kids = new Map<number, number[]>();
  for (const [p, pp] of rows) kids.set(pp!, [...(kids.get(pp!) ?? []), p!]);
  const rss = new Map(rows.map(([p, , r]) => [p!, r!]));
  let total = 0;
  const walk = (p: number) => {
    total += rss.get(p) ?? 0;
    for (const k of kids.get(p) ?? []) walk(k);
  };
  walk(pid);
  return total;
}

describe('crun pod runtime', { skip }, () => {
  const work = root ? mkdtempSync(join(tmpdir(), 'stratus-pods-')) : '';
  const tag = `stxt-${randomBytes(3).toString('hex')}`;
  const net = new TestNetwork(tag);
  let rt: CrunRuntime;
  let image: LocalImageLike;
  const logs: string[] = [];
  const stateDir = join(work, 'state');
  const make = () => new CrunRuntime({ stateDir, network: net, images: new TestImages(image), log: (m) => logs.push(m), namePrefix: tag, pollMs: 100 });

  before(async () => {
    image = busyboxImage(join(work, 'layers', 'busybox'));
    net.setup();
    rt = make();
    await rt.init({ nodeName: 'n1', podCidr: '10.244.7.0/24' });
  });
  after(async () => {
    try {
      await rt?.purge();
      if (logs.length) console.log(logs.join("\n"));
    } finally {
      net.teardown();
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('reports capacity and its version', () => {
    const cap = rt.capacity();
    assert.match(cap.cpu, /^\d+$/);
    assert.match(cap.memory, /^\d+Ki$/);
    assert.match(rt.version, /^crun:\/\/\d/);
  });

  it('runs two containers that share the network, an emptyDir, and a configMap volume; resolv.conf and hosts', async () => {
    const uid = randomUUID();
    const pod = podObject(uid, 'web', { volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c1' } }] });
    const sb = await rt.runSandbox({ uid, namespace: 'default', name: 'web', hostname: 'web', pod, volumeFiles: { cfg: [{ path: 'greeting', data: Buffer.from('hi from configmap\n').toString('base64') }, { path: 'sub/dir.txt', data: Buffer.from('nested').toString('base64') }] } });
    assert.match(sb.ip, /^10\.244\.7\.\d+$/);
    const t0 = Date.now();
    const server = await rt.startContainer(uid, container('server', ['sh', '-c', 'echo served-from-emptydir > /data/index.html; exec httpd -f -p 8080 -h /data'], { volumeMounts: [{ name: 'data', mountPath: '/data' }] }));
    const startMs = Date.now() - t0;
    assert.equal(server.state, 'running');
    const client = await rt.startContainer(uid, container('client', ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/index.html && break; sleep 0.2; done; cat /cfg/greeting /cfg/sub/dir.txt; echo; echo "host=$(hostname) ip=$(hostname -i 2>/dev/null)"; cat /etc/resolv.conf; ls /data; echo "$IMAGE_VAR $MINE"'], {
      volumeMounts: [{ name: 'data', mountPath: '/data', readOnly: true }, { name: 'cfg', mountPath: '/cfg' }],
      env: [{ name: 'MINE', value: 'x-$(IMAGE_VAR)' }],
    }));
    const done = await exited(rt, uid, 'client');
    assert.equal(done.exitCode, 0);
    assert.equal(done.reason, 'Completed');
    const out = await readAll(await rt.logs('default', 'web', 'client', {}));
    assert.match(out, /served-from-emptydir/);
    assert.match(out, /hi from configmap\nnested/);
    assert.match(out, /host=web/);
    assert.match(out, /nameserver 10\.96\.0\.10\nsearch default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\noptions ndots:5/);
    assert.match(out, /index\.html/);
    assert.match(out, /from-image x-from-image/);
    assert.ok(client.id.startsWith('crun://'));
    // The same IPC and UTS namespaces, each container its own pid namespace.
    const st = rt.sandbox(uid)!;
    assert.equal(currentInstance(st, 'server')!.state, 'running');
    const rss = [...readdirSync(join(stateDir, 'pods', uid, 'c'))].length;
    assert.equal(rss, 2);
    console.log(`# startContainer → process running: ${startMs} ms`);
    await rt.removeSandbox(uid, 1);
  });

  it('records exit codes, keeps the previous instance for logs --previous, and follows logs', async () => {
    const uid = randomUUID();
    await rt.runSandbox({ uid, namespace: 'default', name: 'crash', hostname: 'crash', pod: podObject(uid, 'crash') });
    await rt.startContainer(uid, container('c', ['sh', '-c', 'echo first run; echo to-stderr >&2; exit 3']));
    const first = await exited(rt, uid, 'c');
    assert.equal(first.exitCode, 3);
    assert.equal(first.reason, 'Error');
    await rt.startContainer(uid, container('c', ['sh', '-c', 'for i in 1 2 3 4 5; do echo line $i; sleep 0.1; done'], { attempt: 1 }));
    const follow = await rt.logs('default', 'crash', 'c', { follow: true, timestamps: true });
    const followed = await readAll(follow); // ends when the container exits
    assert.equal(followed.trim().split('\n').length, 5);
    assert.match(followed, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line 1$/m);
    const prev = await readAll(await rt.logs('default', 'crash', 'c', { previous: true }));
    // stdout and stderr are stamped by two readers: their relative order within a moment is not kept.
    assert.deepEqual(prev.split('\n').filter(Boolean).sort(), ['first run', 'to-stderr']);
    assert.equal(await readAll(await rt.logs('default', 'crash', 'c', { tailLines: 2 })), 'line 4\nline 5\n');
    assert.equal(await readAll(await rt.logs('default', 'crash', 'c', { limitBytes: 8 })), 'line 1\nl');
    assert.equal(await readAll(await rt.logs('default', 'crash', 'c', { sinceSeconds: 1 })).then((s) => s.split('\n').length > 1), true);
    const sb = rt.sandbox(uid)!;
    assert.deepEqual(sb.containers.map((c) => [c.attempt, c.exitCode]), [[0, 3], [1, 0]]);
    // A third instance pushes the first out of the history.
    await rt.startContainer(uid, container('c', ['true'], { attempt: 2 }));
    await exited(rt, uid, 'c');
    assert.deepEqual(rt.sandbox(uid)!.containers.map((c) => c.attempt), [1, 2]);
    await assert.rejects(rt.logs('default', 'crash', 'nope', {}), /waiting to start/);
    await assert.rejects(rt.logs('default', 'nopod', 'c', {}), /not found/);
    await rt.removeSandbox(uid, 0);
  });

  it('exec with stdin and an exit code; port-forward bytes both ways; stop with TERM', async () => {
    const uid = randomUUID();
    await rt.runSandbox({ uid, namespace: 'default', name: 'ex', hostname: 'ex', pod: podObject(uid, 'ex') });
    await rt.startContainer(uid, container('main', ['sh', '-c', 'trap "echo got TERM; exit 0" TERM; nc -ll -p 9000 -e cat & while :; do sleep 0.1; done']));
    const s = await rt.exec({ namespace: 'default', pod: 'ex', container: 'main', command: ['sh', '-c', 'cat; echo "pid1=$(cat /proc/1/comm)"; exit 7'], stdin: true, stdout: true, stderr: true, tty: false });
    s.stdin!.end('hello over stdin\n');
    const [out, code] = await Promise.all([readAll(s.stdout), s.exit]);
    assert.equal(code, 7);
    assert.match(out, /^hello over stdin\npid1=sh\n$/);
    const tty = await rt.exec({ namespace: 'default', pod: 'ex', container: 'main', command: ['sh', '-c', '[ -t 0 ] && echo stdin-is-a-tty; read x; echo "read:$x"; exit 4'], stdin: true, stdout: true, stderr: true, tty: true });
    assert.equal(tty.stderr, null);
    tty.stdin!.write('abc\n');
    const [ttyOut, ttyCode] = await Promise.all([readAll(tty.stdout), tty.exit]);
    assert.equal(ttyCode, 4);
    assert.match(ttyOut, /stdin-is-a-tty\r\n/);
    assert.match(ttyOut, /read:abc\r\n/);
    await assert.rejects(rt.exec({ namespace: 'default', pod: 'ex', container: 'nope', command: ['true'], stdin: false, stdout: true, stderr: true, tty: false }), /waiting to start/);

    await eventually(async () => {
      const probe = await rt.exec({ namespace: 'default', pod: 'ex', container: 'main', command: ['sh', '-c', 'netstat -ltn | grep -q :9000'], stdin: false, stdout: true, stderr: true, tty: false });
      await readAll(probe.stdout);
      return (await probe.exit) === 0;
    }, 5000, 'nc to listen');
    const pf = await rt.portForward('default', 'ex', 9000);
    const payload = randomBytes(2 * 2 ** 20);
    const got: Buffer[] = [];
    let n = 0;
    const echoed = new Promise<void>((res) => pf.on('data', (b: Buffer) => {
      got.push(b);
      n += b.length;
      if (n >= payload.length) res();
    }));
    pf.write(payload);
    await echoed;
    assert.ok(Buffer.concat(got).equals(payload));
    const closed = new Promise((res) => pf.on('close', res));
    pf.end();
    pf.resume();
    await closed;

    const id = currentInstance(rt.sandbox(uid), 'main')!.id;
    const t0 = Date.now();
    await rt.stopContainer(uid, id, 5);
    assert.ok(Date.now() - t0 < 4000, 'TERM was handled without waiting for KILL');
    const c = currentInstance(rt.sandbox(uid), 'main')!;
    assert.equal(c.state, 'exited');
    assert.equal(c.exitCode, 0);
    assert.match(await readAll(await rt.logs('default', 'ex', 'main', {})), /got TERM/);
    await rt.removeSandbox(uid, 0);
  });

  it('kills with KILL after the grace period when TERM is ignored', async () => {
    const uid = randomUUID();
    await rt.runSandbox({ uid, namespace: 'default', name: 'stubborn', hostname: 'stubborn', pod: podObject(uid, 'stubborn') });
    const c = await rt.startContainer(uid, container('main', ['sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done']));
    const t0 = Date.now();
    await rt.stopContainer(uid, c.id, 1);
    const took = Date.now() - t0;
    const after = currentInstance(rt.sandbox(uid), 'main')!;
    assert.equal(after.exitCode, 137);
    assert.ok(took >= 900 && took < 5000, `stopped after ${took} ms`);
    await rt.removeSandbox(uid, 0);
  });

  it('enforces the memory limit and reports OOMKilled', async () => {
    const uid = randomUUID();
    await rt.runSandbox({ uid, namespace: 'default', name: 'oom', hostname: 'oom', pod: podObject(uid, 'oom') });
    await rt.startContainer(uid, container('hog', ['sh', '-c', 'echo start; awk \'BEGIN { s = "xxxxxxxxxxxxxxxx"; while (1) s = s s }\''], { resources: { limits: { memory: '32Mi', cpu: '500m' } } }));
    const c = await exited(rt, uid, 'hog');
    assert.equal(c.exitCode, 137);
    assert.equal(c.reason, 'OOMKilled');
    await rt.removeSandbox(uid, 0);
  });

  it('reports a command that does not exist as RunContainerError, and bad volumes as CreateContainerError', async () => {
    const uid = randomUUID();
    await rt.runSandbox({ uid, namespace: 'default', name: 'bad', hostname: 'bad', pod: podObject(uid, 'bad', { volumes: [{ name: 'nfs1', nfs: { server: 'x', path: '/' } }] }) });
    await assert.rejects(rt.startContainer(uid, container('c', ['/no/such/binary'])), (e: Error & { reason?: string }) => e.reason === 'RunContainerError' && /no\/such\/binary|No such file/.test(e.message));
    await assert.rejects(rt.startContainer(uid, container('c', ['true'], { volumeMounts: [{ name: 'nfs1', mountPath: '/x' }] })), (e: Error & { reason?: string }) => e.reason === 'CreateContainerError' && /nfs volumes are not supported/.test(e.message));
    await assert.rejects(rt.startContainer(uid, container('c', ['true'], { volumeMounts: [{ name: 'ghost', mountPath: '/x' }] })), /names no volume/);
    assert.equal(rt.sandbox(uid)!.containers.length, 0);
    await assert.rejects(rt.pullImage('nosuch:1', 'IfNotPresent'), (e: Error & { reason?: string }) => e.reason === 'ErrImagePull');
    await rt.removeSandbox(uid, 0);
  });

  it('survives an agent restart (a new runtime adopts running pods) and removal leaves nothing behind', async () => {
    const uid = randomUUID();
    await rt.runSandbox({ uid, namespace: 'default', name: 'keep', hostname: 'keep', pod: podObject(uid, 'keep') });
    const c = await rt.startContainer(uid, container('main', ['sh', '-c', 'echo up; read line; echo "got $line"; exit 5'], { stdin: true }));
    const sb: RuntimeSandbox = rt.sandbox(uid)!;
    const rec = JSON.parse(readFileSync(join(stateDir, 'pods', uid, 'sandbox.json'), 'utf8')) as { holder: { pid: number }; containers: { shim: { pid: number } }[]; netns: string };
    const podRss = treeRss(rec.holder.pid) + rec.containers.reduce((a, x) => a + treeRss(x.shim.pid), 0);
    console.log(`# RSS of a one-container pod (holder + shim + crun + container): ${podRss} kB`);
    await rt.close();

    const rt2 = make();
    await rt2.init({ nodeName: 'n1', podCidr: '10.244.7.0/24' });
    const adopted = rt2.sandbox(uid)!;
    assert.equal(adopted.ip, sb.ip);
    assert.equal(currentInstance(adopted, 'main')!.id, c.id);
    assert.equal(currentInstance(adopted, 'main')!.state, 'running');
    let changed = 0;
    rt2.onChange((u) => u === uid && changed++);
    // attach writes to the container's stdin; its exit is noticed by the new runtime's poll.
    const a = await rt2.attach({ namespace: 'default', pod: 'keep', container: 'main', command: [], stdin: true, stdout: true, stderr: false, tty: false });
    a.stdin!.write('ping\n');
    const out = readAll(a.stdout);
    assert.equal(await a.exit, 5);
    assert.match(await out, /got ping/);
    await eventually(() => changed > 0, 2000, 'onChange');
    assert.equal(currentInstance(rt2.sandbox(uid), 'main')!.exitCode, 5);

    await rt2.removeSandbox(uid, 0);
    rt = rt2;
    assert.equal(rt2.sandbox(uid), undefined);
    assert.ok(!existsSync(join(stateDir, 'pods', uid)), 'pod directory removed');
    assert.ok(!existsSync(rec.netns), 'pod netns removed');
    await eventually(() => {
      try {
        process.kill(rec.holder.pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 2000, 'the holder process to be gone');
    for (const ctl of ['memory', 'cpu', 'pids', 'cpuset', 'systemd']) assert.ok(!existsSync(`/sys/fs/cgroup/${ctl}/${tag}/pod${uid}`), `${ctl} cgroup removed`);
    const mounts = run(['nsenter', `--mount=${join(stateDir, 'mntns', 'mnt')}`, 'cat', '/proc/self/mountinfo']);
    assert.ok(!mounts.includes(uid), 'no mount of the pod left in the runtime namespace');
  });

  it('runs pods for the node agent: configMap volume, secret and downward-API env, restarts, deletion', async () => {
    const PODS = findResource('', 'v1', 'pods')!;
    const registry = await openRegistry({ dataDir: ':memory:' });
    const server = createApiServer({ api: registry, streams: streamHooks({ api: registry, nodeTokens: { n1: 'tok' } }) });
    const url = await server.listen(0, '127.0.0.1');
    const client = new KubeClient({ server: url });
    const agent = await (async () => {
      await bootstrapCluster(registry, { apiServerIp: '127.0.0.1', apiServerPort: Number(new URL(url).port) });
      await client.create(findResource('', 'v1', 'configmaps')!, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'site' }, data: { 'index.html': 'from the configmap' } } as KubeObject);
      await client.create(findResource('', 'v1', 'secrets')!, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pw' }, data: { password: Buffer.from('s3cret').toString('base64') } } as KubeObject);
      return startNodeAgent({ nodeName: 'n1', server: url, caPem: '', token: 'tok', podCidr: '10.244.7.0/24', heartbeatMs: 200, backoff: { initialMs: 200, maxMs: 1000 }, runtime: rt, log: (m) => logs.push(m) });
    })();
    try {
      await client.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'once' }, spec: {
        nodeName: 'n1', restartPolicy: 'Never',
        volumes: [{ name: 'site', configMap: { name: 'site' } }],
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'cat /site/index.html; echo; echo "$POD_NAME $POD_IP $PW"'], volumeMounts: [{ name: 'site', mountPath: '/site' }],
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }, { name: 'PW', valueFrom: { secretKeyRef: { name: 'pw', key: 'password' } } }] }],
      } } as KubeObject);
      const done = await eventually(async () => {
        const p = await client.get(PODS, 'default', 'once');
        return (p.status as { phase?: string })?.phase === 'Succeeded' ? p : undefined;
      }, 15_000, 'pod once to succeed');
      const ip = (done.status as { podIP?: string }).podIP!;
      assert.match(ip, /^10\.244\.7\./);
      const out = await readAll(await rt.logs('default', 'once', 'main', {}));
      assert.equal(out, `from the configmap\nonce ${ip} s3cret\n`);

      await client.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'crashy' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo boom; exit 2'] }] } } as KubeObject);
      const crashed = await eventually(async () => {
        const p = await client.get(PODS, 'default', 'crashy');
        const cs = (p.status as { containerStatuses?: { restartCount: number; lastState?: { terminated?: { exitCode: number } } }[] }).containerStatuses?.[0];
        return cs && cs.restartCount >= 1 && cs.lastState?.terminated ? cs : undefined;
      }, 15_000, 'a restart of crashy');
      assert.equal(crashed.lastState!.terminated!.exitCode, 2);

      await client.create(PODS, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nocm' }, spec: { nodeName: 'n1', volumes: [{ name: 'v', configMap: { name: 'missing' } }], containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } } as KubeObject);
      const waiting = await eventually(async () => {
        const p = await client.get(PODS, 'default', 'nocm');
        const st = p.status as { message?: string; containerStatuses?: { state?: { waiting?: { reason?: string } } }[] };
        return /configmap "missing" not found/.test(st.message ?? '') ? st : undefined;
      }, 10_000, 'nocm to wait for its configmap');
      // As the kubelet shows a failed mount: still ContainerCreating, with the reason in the pod's message.
      assert.equal(waiting.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');

      for (const name of ['once', 'crashy', 'nocm']) await client.delete(PODS, 'default', name, { gracePeriodSeconds: 1 });
      await eventually(async () => rt.sandboxes().length === 0, 15_000, 'the sandboxes to be removed');
    } finally {
      await agent.stop();
      client.close();
      await server.close();
      await registry.close();
    }
  });

  it('purge() removes every pod, cgroup and the mount namespace', async () => {
    const uid = randomUUID();
    await rt.runSandbox({ uid, namespace: 'default', name: 'p', hostname: 'p', pod: podObject(uid, 'p') });
    await rt.startContainer(uid, container('main', ['sleep', '1000']));
    await rt.purge();
    assert.ok(!existsSync(join(stateDir, 'pods', uid)));
    assert.ok(!existsSync(`/sys/fs/cgroup/memory/${tag}`));
    assert.ok(!run(['cat', '/proc/self/mountinfo']).includes(join(stateDir, 'mntns')));
    assert.ok(!readdirSync('/run/netns').some((n) => n.startsWith(`${tag}-p-`)));
  });
});

if (!root) it('crun pod runtime', { skip }, () => {});
