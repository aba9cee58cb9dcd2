import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveApiSocket } from './socket.js';
import { startApiProxy } from './proxy.js';

function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(port, '127.0.0.1', () => s.end(payload));
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

test('TCP → node proxy → unix socket → target, both ways, byte for byte', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-apiproxy-'));
  // an echo server that reverses what it got, standing in for the API server's listener
  const target = createServer((s) => {
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    s.on('end', () => s.end(Buffer.from(Buffer.concat(got)).reverse()));
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  const tport = (target.address() as { port: number }).port;
  const sock = await serveApiSocket({ socketPath: join(dir, 'api.sock'), target: { host: '127.0.0.1', port: tport } });
  const proxy = await startApiProxy({ listen: '127.0.0.1:0', socketPath: sock.socketPath });
  t.after(async () => {
    await proxy.close();
    await sock.close();
    await new Promise((r) => target.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(statSync(sock.socketPath).mode & 0o777, 0o600);
  const big = Buffer.alloc(1 << 20, 7);
  big[0] = 1;
  const out = await roundTrip(proxy.port, big);
  assert.equal(out.length, big.length);
  assert.equal(out[out.length - 1], 1);
  const many = await Promise.all(Array.from({ length: 20 }, (_, i) => roundTrip(proxy.port, Buffer.from(`abc${i}`))));
  assert.deepEqual(many.map((b) => b.toString()), Array.from({ length: 20 }, (_, i) => `${String(i).split('').reverse().join('')}cba`));
  assert.equal(proxy.stats.accepted, 21);
});

test('accept mode hands sockets over; a dead control plane closes the pod connection', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-apiproxy-'));
  const handed: Socket[] = [];
  const sock = await serveApiSocket({ socketPath: join(dir, 'api.sock'), accept: (s) => {
    handed.push(s);
    s.end('hello from the API server');
  } });
  const proxy = await startApiProxy({ listen: '127.0.0.1:0', socketPath: sock.socketPath });
  t.after(async () => {
    await proxy.close();
    await sock.close();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal((await roundTrip(proxy.port, Buffer.from('x'))).toString(), 'hello from the API server');
  assert.equal(handed.length, 1);
  await sock.close();
  const out = await roundTrip(proxy.port, Buffer.from('y')).catch(() => Buffer.alloc(0));
  assert.equal(out.length, 0);
  assert.equal(proxy.stats.failed, 1);
  await assert.rejects(startApiProxy({ listen: 'nowhere', socketPath: sock.socketPath }), /want <ipv4>:<port>/);
});
