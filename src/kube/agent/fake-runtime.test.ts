import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Readable } from 'node:stream';
import { KubeError } from '../errors.js';
import { FakeRuntime, parseDuration } from './fake-runtime.js';
import { parseImageRef } from './image-ref.js';
import { PodIpam } from './ipam.js';
import { RuntimeError, currentInstance } from './runtime.js';

async function text(r: Readable | null): Promise<string> {
  if (!r) return '';
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString();
}

async function waitFor(fn: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('PodIpam', () => {
  it('hands out unique addresses round-robin, skipping network, gateway and broadcast', () => {
    const ipam = new PodIpam('10.42.7.0/30'.replace('/30', '/29'));
    const got = ['a', 'b', 'c', 'd', 'e'].map((o) => ipam.allocate(o));
    assert.deepEqual(got, ['10.42.7.2', '10.42.7.3', '10.42.7.4', '10.42.7.5', '10.42.7.6']);
    assert.throws(() => ipam.allocate('f'), /no free pod address left/);
    assert.equal(ipam.allocate('c'), '10.42.7.4', 'same owner, same address');
    ipam.release('b');
    assert.equal(ipam.allocate('g'), '10.42.7.3');
    assert.throws(() => new PodIpam('10.42.0.0'), /not an IPv4 CIDR/);
  });
});

describe('parseImageRef', () => {
  it('normalizes Docker Hub names and keeps registries with ports', () => {
    assert.equal(parseImageRef('busybox')!.normalized, 'docker.io/library/busybox:latest');
    assert.equal(parseImageRef('bitnami/nginx:1.2')!.normalized, 'docker.io/bitnami/nginx:1.2');
    assert.equal(parseImageRef('10.0.0.5:5000/app')!.registry, '10.0.0.5:5000');
    assert.equal(parseImageRef('Busybox'), undefined);
    assert.equal(parseImageRef('bad image'), undefined);
  });
});

describe('FakeRuntime', () => {
  const rt = new FakeRuntime({ startDelayMs: 1 });
  const uid = 'uid-1';
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid } };
  before(async () => {
    await rt.init({ nodeName: 'n', podCidr: '10.42.9.0/24' });
    await rt.runSandbox({ uid, namespace: 'ns', name: 'p', hostname: 'p-host', pod });
    const img = await rt.pullImage('nginx', 'IfNotPresent');
    await rt.startContainer(uid, { name: 'srv', kind: 'regular', image: 'nginx', imageRef: img.ref, imageID: img.imageID, command: [], args: [], env: [{ name: 'GREETING', value: 'hello' }], stdin: false, tty: false, attempt: 0 });
  });
  after(() => rt.close());

  it('refuses bad and unknown images with the kubelet reasons', async () => {
    await assert.rejects(rt.pullImage('UPPER/case', 'Always'), (e: unknown) => e instanceof RuntimeError && e.reason === 'InvalidImageName');
    await assert.rejects(rt.pullImage('example.com/app:1', 'Always'), (e: unknown) => e instanceof RuntimeError && e.reason === 'ErrImagePull' && /example\.com/.test(e.message));
    await assert.rejects(rt.pullImage('busybox-invalid', 'Always'), (e: unknown) => e instanceof RuntimeError && e.reason === 'ErrImagePull');
  });

  it('runs a command to its end: output in the log, exit code kept, listeners told', async () => {
    const changed: string[] = [];
    const off = rt.onChange((u) => changed.push(u));
    const img = await rt.pullImage('busybox', 'IfNotPresent');
    await rt.startContainer(uid, { name: 'job', kind: 'regular', image: 'busybox', imageRef: img.ref, imageID: img.imageID, command: ['sh', '-c'], args: ['echo "one $GREETING"; false || echo two && exit 4; echo never'], env: [{ name: 'GREETING', value: 'hi' }], stdin: false, tty: false, attempt: 0 });
    await waitFor(() => currentInstance(rt.sandbox(uid), 'job')?.state === 'exited');
    off();
    const inst = currentInstance(rt.sandbox(uid), 'job')!;
    assert.equal(inst.exitCode, 4);
    assert.equal(inst.reason, 'Error');
    assert.deepEqual(changed, [uid]);
    const log = await text(await rt.logs('ns', 'p', 'job', {}));
    const lines = log.split('\n');
    assert.match(lines[0]!, /^fake runtime: started job \(image busybox, command sh -c ".*exit 4; echo never"\)$/);
    assert.deepEqual(lines.slice(1), ['one hi', 'two', '']);
    assert.equal(await text(await rt.logs('ns', 'p', 'job', { tailLines: 1, timestamps: true })).then((t) => /^\d{4}-\d\d-\d\dT[\d:.]+Z two\n$/.test(t)), true);
  });

  it('exec: echo, hostname, env, cat of stdin, exit codes, unknown programs', async () => {
    const run = async (command: string[], input?: string) => {
      const s = await rt.exec({ namespace: 'ns', pod: 'p', container: 'srv', command, stdin: input !== undefined, stdout: true, stderr: true, tty: false });
      if (input !== undefined) s.stdin!.end(input);
      const [out, err, code] = await Promise.all([text(s.stdout), text(s.stderr), s.exit]);
      return { out, err, code };
    };
    assert.deepEqual(await run(['echo', 'a', 'b']), { out: 'a b\n', err: '', code: 0 });
    assert.deepEqual(await run(['hostname']), { out: 'p-host\n', err: '', code: 0 });
    assert.match((await run(['env'])).out, /^GREETING=hello$/m);
    assert.deepEqual(await run(['cat'], 'piped\n'), { out: 'piped\n', err: '', code: 0 });
    assert.deepEqual(await run(['sh', '-c', 'echo x; exit 7']), { out: 'x\n', err: '', code: 7 });
    assert.deepEqual(await run(['ls', '/']), { out: '', err: 'fake runtime: cannot run ls\n', code: 127 });
    await assert.rejects(rt.exec({ namespace: 'ns', pod: 'nope', container: 'srv', command: ['true'], stdin: false, stdout: true, stderr: false, tty: false }), (e: unknown) => e instanceof KubeError && e.code === 404);
  });

  it('attach echoes stdin; port-forward echoes bytes and answers HTTP', async () => {
    const a = await rt.attach({ namespace: 'ns', pod: 'p', container: 'srv', command: [], stdin: true, stdout: true, stderr: false, tty: false });
    a.stdin!.end('typed\n');
    assert.equal(await text(a.stdout), 'typed\n');
    assert.equal(await a.exit, 0);

    const echo = await rt.portForward('ns', 'p', 9000);
    echo.end('\x00\x01binary');
    assert.equal(await text(echo as unknown as Readable), '\x00\x01binary');

    const web = await rt.portForward('ns', 'p', 8080);
    web.end('GET /hi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const answer = await text(web as unknown as Readable);
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(answer, /pod ns\/p port 8080 answered GET \/hi\n$/);
  });

  it('follows logs until the container stops; stop honours ignore-sigterm grace', async () => {
    const uid2 = 'uid-2';
    await rt.runSandbox({ uid: uid2, namespace: 'ns', name: 'q', hostname: 'q', pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q', uid: uid2, annotations: { 'fake.stratus.dev/ignore-sigterm': 'true' } } } });
    const c = await rt.startContainer(uid2, { name: 'c', kind: 'regular', image: 'nginx', imageRef: 'x', imageID: 'y', command: ['nginx'], args: [], env: [], stdin: false, tty: false, attempt: 0 });
    const follow = await rt.logs('ns', 'q', 'c', { follow: true });
    const t0 = Date.now();
    await rt.stopContainer(uid2, c.id, 0.2);
    assert.ok(Date.now() - t0 >= 190, 'waited the grace period');
    assert.match(await text(follow), /pretending to run nginx until stopped/);
    assert.equal(currentInstance(rt.sandbox(uid2), 'c')!.exitCode, 137);
    await rt.removeSandbox(uid2, 0);
    assert.equal(rt.sandbox(uid2), undefined);
  });

  it('parses exit-after durations', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('3'), 3000);
    assert.equal(parseDuration('soon'), undefined);
  });
});
