import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
// NOTE: the package root of @kubernetes/client-node 2.0.1 cannot load on Node 20 here (its
// undici 8 needs zlib zstd, Node >= 22), so the modules that do not pull undici are imported
// directly: Exec, and the WebSocketHandler that PortForward drives.
import { Exec } from '@kubernetes/client-node/dist/exec.js';
import { WebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';
import type { V1Status } from '@kubernetes/client-node/dist/gen/models/V1Status.js';
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { startStreamHarness, type StreamHarness } from '../../src/kube/streams/testing.js';

/**
 * The stream layer against the real kubectl (1.32 via the dispatcher) and client-node: exec and
 * attach over WebSocket v5 and SPDY, port-forward over SPDY tunnelled in a WebSocket, plain SPDY
 * and client-node's WebSocket v4, and `logs -f`, all through a real agent API server.
 */

let h: StreamHarness;
let dir: string;
let kubeconfig: string;
let echoServer: net.Server;
let runs = 0;
const children = new Set<ChildProcess>();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], opts: { env?: Record<string, string>; input?: string | Buffer; timeoutMs?: number } = {}): Promise<Run> {
  runs += 1;
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, `cache-${runs}`), ...args], {
    env: { ...process.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.on('error', () => undefined);
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  else child.stdin!.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts `kubectl port-forward pod/web 0:<port>` and resolves with the local port. */
function portForward(remote: number, env: Record<string, string>): Promise<{ port: number; child: ChildProcess; output: () => string }> {
  runs += 1;
  const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, `cache-${runs}`), 'port-forward', 'pod/web', `0:${remote}`], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('close', () => children.delete(child));
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`port-forward did not start: ${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), child, output: () => out });
      }
    });
    child.on('close', () => reject(new Error(`port-forward exited: ${out}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('close', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Sends `data` through a local port, half-closes, and returns what came back (sha256, length). */
function roundTrip(port: number, data: Buffer): Promise<{ sha: string; length: number }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let length = 0;
    const s = net.connect(port, '127.0.0.1', () => s.end(data));
    s.on('data', (d: Buffer) => {
      hash.update(d);
      length += d.length;
    });
    s.on('end', () => resolve({ sha: hash.digest('hex'), length }));
    s.on('error', reject);
  });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stratus-streams-'));
  h = await startStreamHarness();
  echoServer = net.createServer((s) => {
    s.on('error', () => s.destroy());
    s.pipe(s);
  });
  await new Promise<void>((r) => echoServer.listen(0, '127.0.0.1', r));
  h.streams.ports.set(80, (echoServer.address() as net.AddressInfo).port);
  kubeconfig = path.join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'h', cluster: { server: h.url } }],
      users: [{ name: 'u', user: { token: h.token } }],
      contexts: [{ name: 'c', context: { cluster: 'h', user: 'u', namespace: 'default' } }],
      'current-context': 'c',
    }),
  );
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await h?.close();
  await new Promise<void>((r) => (echoServer ? echoServer.close(() => r()) : r()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('kubectl exec', () => {
  test('the server reports v1.32 so the dispatcher runs kubectl 1.32', async () => {
    const r = await kubectl(['version', '-o', 'json']);
    const v = JSON.parse(r.stdout) as { clientVersion: { minor: string }; serverVersion: { gitVersion: string } };
    assert.equal(v.serverVersion.gitVersion, 'v1.32.4');
    assert.match(v.clientVersion.minor, /^32/);
  });

  test('stdout over WebSocket v5', async () => {
    const r = await kubectl(['exec', 'web', '--', 'echo', 'hello', 'world']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello world\n');
    assert.ok(h.requests.some((l) => l.includes('/pods/web/exec upgrade=websocket')));
  });

  test('stderr and a non-zero exit code', async () => {
    const r = await kubectl(['exec', 'web', '--', 'exit', '3']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /exiting with 3/);
    assert.match(r.stderr, /command terminated with exit code 3/);
  });

  test('stdin with -i, half-closed at EOF', async () => {
    const r = await kubectl(['exec', '-i', 'web', '--', 'cat'], { input: 'some input\nmore\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'some input\nmore\n');
  });

  test('an invalid container is an error from the server on both attempts', async () => {
    const before = h.requests.length;
    const r = await kubectl(['exec', 'web', '-c', 'bad', '--', 'echo', 'x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error from server \(BadRequest\): container bad is not valid for pod web/);
    const attempts = h.requests.slice(before).filter((l) => l.includes('/exec upgrade='));
    assert.deepEqual(attempts.map((l) => l.split('upgrade=')[1]), ['websocket', 'SPDY/3.1']);
  });

  test('SPDY/3.1 exec (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false): stdin, stdout, exit code', async () => {
    const env = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' };
    const r1 = await kubectl(['exec', '-i', 'web', '--', 'cat'], { env, input: 'via spdy' });
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r1.stdout, 'via spdy');
    const r2 = await kubectl(['exec', 'web', '--', 'exit', '4'], { env });
    assert.equal(r2.code, 4);
    assert.match(r2.stderr, /command terminated with exit code 4/);
    assert.ok(h.requests.some((l) => l.includes('/pods/web/exec upgrade=SPDY/3.1')));
  });

  test('attach over WebSocket', async () => {
    const r = await kubectl(['attach', '-i', 'web', '-c', 'app'], { input: 'attached\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /attached/);
  });
});

describe('kubectl port-forward', () => {
  const blob = randomBytes(20 * 1024 * 1024);
  for (const [mode, env] of [
    ['SPDY tunnelled in a WebSocket', {}],
    ['plain SPDY/3.1', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }],
  ] as const) {
    test(`${mode}: 20 MB echoed intact, then 40 parallel connections`, async () => {
      const before = h.requests.length;
      const pf = await portForward(80, env);
      try {
        const t0 = Date.now();
        const big = await roundTrip(pf.port, blob);
        const ms = Date.now() - t0;
        assert.equal(big.length, blob.length);
        assert.equal(big.sha, sha(blob));
        console.log(`# ${mode}: 20 MB round trip in ${ms} ms`);
        const pieces = Array.from({ length: 40 }, (_, i) => randomBytes(50_000 + i * 1000));
        const results = await Promise.all(pieces.map((p) => roundTrip(pf.port, p)));
        results.forEach((r, i) => assert.equal(r.sha, sha(pieces[i]!)));
      } finally {
        await stop(pf.child);
      }
      const upgrades = h.requests.slice(before).filter((l) => l.includes('/portforward upgrade='));
      assert.equal(upgrades[0]!.split('upgrade=')[1], mode.startsWith('plain') ? 'SPDY/3.1' : 'websocket');
      if (!mode.startsWith('plain')) assert.equal(upgrades.length, 1, 'the tunnel was accepted, no SPDY fallback');
    });
  }

  test('a refused pod port is reported on the error stream (kubectl 1.32 then exits)', async () => {
    const pf = await portForward(81, {});
    try {
      const exited = new Promise<number | null>((r) => pf.child.once('close', r));
      const r = await roundTrip(pf.port, Buffer.from('x')).catch(() => ({ sha: '', length: 0 }));
      assert.equal(r.length, 0);
      assert.equal(await exited, 1);
      assert.match(pf.output(), /an error occurred forwarding \d+ -> 81: dial tcp 10\.244\.0\.5:81: connect: connection refused/);
    } finally {
      await stop(pf.child);
    }
  });
});

describe('kubectl logs', () => {
  test('logs and --tail', async () => {
    const r = await kubectl(['logs', 'web']);
    assert.equal(r.stdout, 'line 1\nline 2\nline 3\n');
    const t = await kubectl(['logs', 'web', '--tail=1']);
    assert.equal(t.stdout, 'line 3\n');
  });

  test('logs -f streams lines as they are written and ends with the stream', async () => {
    runs += 1;
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, `cache-${runs}`), 'logs', '-f', 'web'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const waitFor = async (text: string): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!out.includes(text)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${JSON.stringify(text)}; got ${JSON.stringify(out)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await waitFor('line 3\n');
      const follower = h.streams.followers.at(-1)!;
      follower.write('live 1\n');
      await waitFor('live 1\n');
      follower.write('live 2\n');
      await waitFor('live 2\n');
      const closed = new Promise<number | null>((r) => child.on('close', r));
      follower.end();
      assert.equal(await closed, 0);
      assert.equal(out, 'line 1\nline 2\nline 3\nlive 1\nlive 2\n');
    } finally {
      child.kill('SIGKILL');
      children.delete(child);
    }
  });
});

describe('client-node', () => {
  // The two methods Exec and WebSocketHandler use of a KubeConfig.
  const kc = (): KubeConfig =>
    ({
      getCurrentCluster: () => ({ name: 'h', server: h.url, skipTLSVerify: true }),
      applyToHTTPSOptions: async (opts: { headers?: Record<string, string> }) => {
        opts.headers = { ...opts.headers, Authorization: `Bearer ${h.token}` };
      },
    }) as unknown as KubeConfig;
  const collect = (): Writable & { text: () => string; bytes: () => Buffer } => {
    const chunks: Buffer[] = [];
    const w = new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(Buffer.from(c));
        cb();
      },
    }) as Writable & { text: () => string; bytes: () => Buffer };
    w.bytes = () => Buffer.concat(chunks);
    w.text = () => w.bytes().toString();
    return w;
  };

  test('Exec: stdout, stderr, stdin and the exit status over v5', async () => {
    const exec = new Exec(kc());
    const run = (command: string[], stdin: PassThrough | null = null) =>
      new Promise<{ out: string; err: string; status: V1Status }>((resolve, reject) => {
        const out = collect();
        const err = collect();
        exec.exec('default', 'web', 'app', command, out, err, stdin, false, (status) => resolve({ out: out.text(), err: err.text(), status })).catch(reject);
      });
    const ok = await run(['echo', 'from', 'client-node']);
    assert.equal(ok.out, 'from client-node\n');
    assert.equal(ok.status.status, 'Success');
    const bad = await run(['exit', '5']);
    assert.equal(bad.err, 'exiting with 5\n');
    assert.equal(bad.status.reason, 'NonZeroExitCode');
    assert.equal(bad.status.details?.causes?.[0]?.message, '5');
    const input = new PassThrough();
    const pending = run(['cat'], input);
    input.end('piped through stdin');
    assert.equal((await pending).out, 'piped through stdin');
  });

  test('port-forward over WebSocket v4 with 2-byte port prefixes (as PortForward.portForward drives it)', async () => {
    const handler = new WebSocketHandler(kc());
    const out = collect();
    const needsPort = [true, true];
    const errors: string[] = [];
    const ws = await handler.connect('/api/v1/namespaces/default/pods/web/portforward?ports=80', null, (channel: number, buff: Buffer) => {
      if (needsPort[channel]) {
        assert.equal(buff.readUInt16LE(0), 80);
        buff = buff.subarray(2);
        needsPort[channel] = false;
      }
      if (channel === 1) errors.push(buff.toString());
      else out.write(buff);
      return true;
    });
    const input = new PassThrough();
    WebSocketHandler.handleStandardInput(ws, input, 0);
    const payload = randomBytes(1024 * 1024);
    try {
      assert.equal(ws.protocol, 'v4.channel.k8s.io');
      input.write(payload);
      const deadline = Date.now() + 10_000;
      while (out.bytes().length < payload.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(sha(out.bytes()), sha(payload));
      assert.deepEqual(errors.filter(Boolean), []);
    } finally {
      ws.close();
    }
  });
});
