// Probe test: `stratus up` (SQLite data dir, fake hypervisor made slow) is killed with
// SIGKILL while servers are building, stopping and attaching a volume; after a restart every
// server ends in a final state and compute and block storage agree.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../support/cloud.js';

const BIN = fileURLToPath(new URL('../../../bin/stratus.js', import.meta.url));
const NOVA = '/compute/v2.1';

interface Up {
  proc: ChildProcess;
  url: string;
}

/** Starts `stratus up` on a free port; resolves once it prints its URL. */
function up(dataDir: string, delays = ''): Promise<Up> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, STRATUS_FAKE_COMPUTE_DELAYS: delays };
    const proc = spawn(process.execPath, [BIN, 'up', '--data-dir', dataDir, '--port', '0', '--no-clouds-yaml', '--log-level', 'warn'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`stratus up did not start:\n${out}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Health\s+(http:\/\/[\d.]+:\d+)\/health/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]! });
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) => reject(new Error(`stratus up exited with ${code}:\n${out}`)));
  });
}

function kill9(u: Up): Promise<void> {
  return new Promise((resolve) => {
    u.proc.once('exit', () => resolve());
    u.proc.kill('SIGKILL');
  });
}

async function req(u: Up, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  if (token) headers['x-auth-token'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(u.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined, headers: r.headers };
}

async function token(u: Up): Promise<{ token: string; project: string }> {
  const scope = { project: { name: 'demo', domain: { id: 'default' } } };
  const r = await req(u, 'POST', '/identity/v3/auth/tokens', undefined, {
    auth: { identity: { methods: ['password'], password: { user: { name: 'demo', domain: { id: 'default' }, password: 'secret' } } }, scope },
  });
  return { token: r.headers.get('x-subject-token')!, project: r.body.token.project.id };
}

async function server(u: Up, t: string, id: string): Promise<any> {
  return (await req(u, 'GET', `${NOVA}/servers/${id}`, t)).body?.server;
}

async function settled(u: Up, t: string, id: string, status: string): Promise<any> {
  let last: any;
  try {
    return await eventually(async () => {
      const s = (last = await server(u, t, id));
      return s && s.status === status && s['OS-EXT-STS:task_state'] === null ? s : undefined;
    }, 15_000, 50);
  } catch {
    assert.fail(`server ${id} did not reach ${status}: ${JSON.stringify(last)}`);
  }
}

describe('compute restart reconciliation (kill -9)', () => {
  let dir: string;
  let current: Up | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'stratus-compute-restart-'));
  });
  after(async () => {
    if (current && current.proc.exitCode === null && current.proc.signalCode === null) await kill9(current);
    rmSync(dir, { recursive: true, force: true });
  });

  test('servers in BUILD, powering-off and a volume attaching reach final states', { timeout: 120_000 }, async () => {
    // Run 1: spawns hang. Upload an image and start three builds, then kill.
    current = await up(dir, 'spawn=600000');
    let { token: t, project } = await token(current);
    const img = await req(current, 'POST', '/image/v2/images', t, { name: 'probe', disk_format: 'raw', container_format: 'bare' });
    const put = await fetch(`${current.url}/image/v2/images/${img.body.id}/file`, { method: 'PUT', headers: { 'x-auth-token': t, 'content-type': 'application/octet-stream' }, body: Buffer.alloc(2048, 1) });
    assert.equal(put.status, 204);
    const ids: string[] = [];
    for (const name of ['b1', 'b2', 'b3']) {
      const r = await req(current, 'POST', `${NOVA}/servers`, t, { server: { name, imageRef: img.body.id, flavorRef: '42' } });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      ids.push(r.body.server.id);
    }
    await eventually(async () => (await Promise.all(ids.map((id) => server(current!, t, id)))).every((s) => s['OS-EXT-STS:task_state'] === 'spawning'), 10_000);
    await kill9(current);

    // Run 2: nothing is slow except powering off and attaching. The builds finish.
    current = await up(dir, 'powerOff=600000,attachVolume=600000');
    ({ token: t, project } = await token(current));
    for (const id of ids) assert.equal((await settled(current, t, id, "ACTIVE"))['OS-EXT-STS:power_state'], 1);
    assert.equal((await req(current, 'POST', `${NOVA}/servers/${ids[0]!}/action`, t, { 'os-stop': null })).status, 202);
    const vol = await req(current, 'POST', `/volume/v3/${project}/volumes`, t, { volume: { size: 1, name: 'probe-vol' } });
    assert.equal(vol.status, 202, JSON.stringify(vol.body));
    const volId = vol.body.volume.id;
    await eventually(async () => (await req(current!, 'GET', `/volume/v3/${project}/volumes/${volId}`, t)).body.volume.status === 'available', 10_000);
    assert.equal((await req(current, 'POST', `${NOVA}/servers/${ids[1]}/os-volume_attachments`, t, { volumeAttachment: { volumeId: volId } })).status, 200);
    assert.equal((await server(current, t, ids[0]!))['OS-EXT-STS:task_state'], 'powering-off');
    await kill9(current);

    // Run 3: no delays. The stop completes and the attachment settles, in both APIs.
    current = await up(dir);
    ({ token: t, project } = await token(current));
    const stopped = await settled(current, t, ids[0]!, "SHUTOFF");
    assert.equal(stopped['OS-EXT-STS:power_state'], 4);
    await eventually(async () => (await server(current!, t, ids[1]!))['os-extended-volumes:volumes_attached'].length === 1, 10_000);
    await eventually(async () => (await req(current!, 'GET', `/volume/v3/${project}/volumes/${volId}`, t)).body.volume.status === 'in-use', 10_000);
    const attached = await req(current, 'GET', `${NOVA}/servers/${ids[1]}/os-volume_attachments`, t);
    assert.deepEqual(attached.body.volumeAttachments.map((a: any) => a.volumeId), [volId]);
    for (const id of ids) {
      const s = await server(current, t, id);
      assert.ok(!['BUILD'].includes(s.status) && s['OS-EXT-STS:task_state'] === null, `${id}: ${s.status}/${s['OS-EXT-STS:task_state']}`);
    }
    // Deleting still releases everything after the restarts.
    for (const id of ids) assert.equal((await req(current, 'DELETE', `${NOVA}/servers/${id}`, t)).status, 204);
    await eventually(async () => (await Promise.all(ids.map((id) => req(current!, 'GET', `${NOVA}/servers/${id}`, t)))).every((r) => r.status === 404), 10_000);
    await eventually(async () => (await req(current!, 'GET', `/volume/v3/${project}/volumes/${volId}`, t)).body.volume.status === 'available', 10_000);
    await kill9(current);
  });
});
