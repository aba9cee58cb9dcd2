import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openStore } from '../../src/store/index.js';
import type { Snapshot, Volume } from '../../src/services/volume/logic/models.js';
import { eventually, startTestCloud } from '../support/cloud.js';
import { makeSnapshot, makeVolume, volumeUser, waitVolume, type VolumeUser } from './volume-helpers.js';

const GiB = 1024 ** 3;
const ROOT = new URL('../../../', import.meta.url).pathname; // dist/test/api → repo root
const FINAL = ['available', 'in-use', 'error'];

const dirs: string[] = [];
const children: ChildProcess[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'stratus-volume-restart-'));
  dirs.push(d);
  return d;
}
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Rewrites stored records as a crash in the middle of each operation would leave them. */
async function simulateCrash(dataDir: string, edits: Record<string, (v: Volume) => Volume>, snapEdits: Record<string, (s: Snapshot) => Snapshot>): Promise<void> {
  const store = openStore(dataDir);
  try {
    for (const [id, edit] of Object.entries(edits)) {
      const r = await store.get<Volume>('volume.volume', id);
      await store.update('volume.volume', id, edit(r!.data));
    }
    for (const [id, edit] of Object.entries(snapEdits)) {
      const r = await store.get<Snapshot>('volume.snapshot', id);
      await store.update('volume.snapshot', id, edit(r!.data));
    }
  } finally {
    await store.close();
  }
}

const task = <T>(t: T) => ({ id: randomUUID(), ...t });

describe('block storage: restart reconciliation', () => {
  it('brings every interrupted operation to a final state on start (sqlite + file backend)', async () => {
    const dataDir = tempDir();
    let c = await startTestCloud({ dataDir });
    let u: VolumeUser = await volumeUser(c, 'demo');
    const caller = { userId: u.userId, projectId: u.projectId, roles: ['member', 'reader'], admin: false };
    const [creating, attaching, detaching, deleting, extending, snapped] = await Promise.all([1, 1, 1, 1, 1, 1].map(() => makeVolume(u)));
    const snap = await makeSnapshot(u, snapped.id);
    await u.req('POST', `/volumes/${detaching.id}/action`, { body: { 'os-attach': { instance_uuid: randomUUID(), mountpoint: '/dev/vdb' } } });
    await c.close();

    const vols = join(dataDir, 'volumes');
    rmSync(join(vols, `volume-${creating.id}`));
    rmSync(join(vols, `snapshot-${snap.id}`));
    mkdirSync(join(vols, '.tmp'), { recursive: true });
    writeFileSync(join(vols, '.tmp', 'crashed.part'), 'half a volume');
    const orphan = randomUUID();
    writeFileSync(join(vols, `volume-${orphan}`), '');
    await simulateCrash(
      dataDir,
      {
        [creating.id]: (v) => ({ ...v, status: 'creating', task: task({ op: 'create' as const, source: { kind: 'blank' as const }, caller }) }),
        [attaching.id]: (v) => ({ ...v, status: 'attaching', attachments: [{ id: randomUUID(), serverId: randomUUID(), hostName: null, device: null, mode: 'rw', state: 'reserved', attachedAt: null }] }),
        [detaching.id]: (v) => ({ ...v, status: 'detaching' }),
        [deleting.id]: (v) => ({ ...v, status: 'deleting', task: task({ op: 'delete' as const }) }),
        [extending.id]: (v) => ({ ...v, status: 'extending', task: task({ op: 'extend' as const, newSize: 3 }) }),
      },
      { [snap.id]: (s) => ({ ...s, status: 'creating', task: task({ op: 'create' as const }) }) },
    );

    c = await startTestCloud({ dataDir });
    try {
      u = await volumeUser(c, 'demo');
      assert.equal((await waitVolume(u, creating.id, 'available')).size, 1);
      assert.equal(statSync(join(vols, `volume-${creating.id}`)).size, GiB);
      const a = await waitVolume(u, attaching.id, 'available');
      assert.deepEqual(a.attachments, []);
      const d = await waitVolume(u, detaching.id, 'in-use');
      assert.equal(d.attachments.length, 1);
      await eventually(async () => (await u.req('GET', `/volumes/${deleting.id}`)).status === 404);
      assert.ok(!existsSync(join(vols, `volume-${deleting.id}`)));
      assert.equal((await waitVolume(u, extending.id, 'available')).size, 3);
      assert.equal(statSync(join(vols, `volume-${extending.id}`)).size, 3 * GiB);
      await eventually(async () => (await u.req('GET', `/snapshots/${snap.id}`)).body.snapshot.status === 'available');
      assert.ok(existsSync(join(vols, `snapshot-${snap.id}`)));
      assert.ok(!existsSync(join(vols, `volume-${orphan}`)), 'a backing file without a record is removed');
      assert.deepEqual(readdirSync(join(vols, '.tmp')), []);
    } finally {
      await c.close();
    }
  });
});

function startChild(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const env = { ...process.env };
  delete env.STRATUS_ADMIN_PASSWORD;
  delete env.STRATUS_DATA_DIR;
  const child = spawn(process.execPath, ['bin/stratus.js', 'up', '--data-dir', dataDir, '--port', '0', '--no-clouds-yaml', '--log-level', 'error'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stderr!.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stratus up did not start in 30 s:\n${out}`)), 30_000);
    child.stdout!.on('data', (b: Buffer) => {
      out = (out + b.toString()).slice(-20_000);
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m && /ready/.test(out)) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`stratus up exited (${code ?? sig}) before it was ready:\n${out}`));
    });
  });
}

/** A minimal client of a child cloud for the demo user. */
async function childUser(url: string): Promise<VolumeUser & { raw: (method: string, path: string, body?: unknown) => Promise<Response> }> {
  const auth = await fetch(`${url}/identity/v3/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: 'secret' } } }, scope: { project: { name: 'demo', domain: { id: 'default' } } } } }),
  });
  const token = auth.headers.get('x-subject-token')!;
  const body: any = await auth.json();
  const projectId: string = body.token.project.id;
  const raw = (method: string, path: string, b?: unknown) =>
    fetch(`${url}/volume/v3/${projectId}${path}`, { method, headers: { 'x-auth-token': token, 'content-type': 'application/json' }, body: b === undefined ? undefined : JSON.stringify(b) });
  return {
    token,
    projectId,
    userId: body.token.user.id,
    raw,
    req: async (method, path, opts = {}) => {
      const r = await raw(method, path, opts.body);
      const text = await r.text();
      return { status: r.status, headers: r.headers, text, body: text ? JSON.parse(text) : undefined };
    },
  };
}

describe('block storage: kill -9 with volumes in flight', () => {
  it('every volume ends in a final state after a restart, with a backing file of its size', { timeout: 120_000 }, async () => {
    const dataDir = tempDir();
    const first = await startChild(dataDir);
    const u = await childUser(first.url);
    const ready = await Promise.all([1, 2, 3, 4, 5, 6].map(() => makeVolume(u)));
    const [r1, r2, att, det, ext, del] = ready.map((v) => v.id as string);
    await u.req('POST', `/volumes/${r1}/action`, { body: { 'os-reserve': {} } });
    await u.req('POST', `/volumes/${r2}/action`, { body: { 'os-reserve': {} } });
    for (const id of [att, det]) await u.req('POST', `/volumes/${id}/action`, { body: { 'os-attach': { instance_uuid: randomUUID(), mountpoint: '/dev/vdb' } } });
    await u.req('POST', `/volumes/${det}/action`, { body: { 'os-begin_detaching': {} } });

    // A burst of work, then kill -9 while it is in flight.
    const burst = [
      ...Array.from({ length: 12 }, (_, i) => u.raw('POST', '/volumes', { volume: { size: 1 + (i % 3), name: `burst-${i}` } })),
      u.raw('POST', `/volumes/${ext}/action`, { 'os-extend': { new_size: 2 } }),
      u.raw('DELETE', `/volumes/${del}`),
    ].map((p) => p.then((r) => r.status).catch(() => 0));
    await new Promise((r) => setTimeout(r, 15));
    process.kill(first.child.pid!, 'SIGKILL');
    const statuses = await Promise.all(burst);
    await new Promise<void>((r) => (first.child.exitCode !== null || first.child.signalCode !== null ? r() : first.child.once('exit', () => r())));

    const second = await startChild(dataDir);
    try {
      const v = await childUser(second.url);
      const settled = await eventually(async () => {
        const all = (await v.req('GET', '/volumes/detail')).body.volumes as any[];
        return all.every((x) => FINAL.includes(x.status)) ? all : undefined;
      }, 20_000);
      const byId = new Map(settled.map((x) => [x.id, x]));
      assert.equal(byId.get(r1).status, 'available', 'a reservation nobody finished is dropped');
      assert.equal(byId.get(r2).status, 'available');
      assert.equal(byId.get(att).status, 'in-use');
      assert.equal(byId.get(det).status, 'in-use', 'an unfinished detach is rolled back');
      if (statuses.at(-1) === 202) assert.ok(!byId.has(del), 'an acknowledged delete is carried out');
      if (statuses.at(-2) === 202) assert.equal(byId.get(ext).size, 2, 'an acknowledged extend is carried out');
      const acked = statuses.slice(0, 12).filter((s) => s === 202).length;
      assert.ok(settled.filter((x) => x.name?.startsWith('burst-')).length >= acked, 'every acknowledged create survives');
      for (const x of settled.filter((y) => y.status !== 'error')) {
        assert.equal(statSync(join(dataDir, 'volumes', `volume-${x.id}`)).size, x.size * GiB, `backing file of ${x.id}`);
      }
      console.log(`kill -9: ${acked}/12 creates acknowledged, ${settled.length} volumes after restart, all final`);
    } finally {
      process.kill(second.child.pid!, 'SIGTERM');
    }
  });
});
