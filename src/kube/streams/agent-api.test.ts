import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { serveAgentApi } from './agent-api.js';
import { EchoPodStreams } from './testing.js';
import { openAgentExec, openAgentLogs } from './agent-client.js';
import { KubeError } from '../errors.js';

test('agent API: bearer auth, logs, validation errors as Status, exec over v5 framing', async (t) => {
  const streams = new EchoPodStreams();
  const server = await serveAgentApi(streams, { host: '127.0.0.1', port: 0, token: 's3cret' });
  t.after(() => server.close());
  const base = `http://127.0.0.1:${server.port}`;

  const noAuth = await fetch(`${base}/containerLogs/default/web/app`);
  assert.equal(noAuth.status, 401);
  assert.equal(((await noAuth.json()) as { reason: string }).reason, 'Unauthorized');

  const auth = { Authorization: 'Bearer s3cret' };
  const logs = await fetch(`${base}/containerLogs/default/web/app?tailLines=2`, { headers: auth });
  assert.equal(logs.status, 200);
  assert.equal(await logs.text(), 'line 2\nline 3\n');

  const badTail = await fetch(`${base}/containerLogs/default/web/app?tailLines=-1`, { headers: auth });
  assert.equal(badTail.status, 400);
  assert.match(((await badTail.json()) as { message: string }).message, /tailLines must be an integer/);

  const unknown = await fetch(`${base}/nope`, { headers: auth });
  assert.equal(unknown.status, 404);

  const agent = { url: base, token: 's3cret' };
  await assert.rejects(
    openAgentLogs(agent, 'default', 'web', 'bad', new URLSearchParams(), new AbortController().signal),
    (err: unknown) => err instanceof KubeError && err.code === 400 && /container bad is not valid/.test(err.message),
  );
  await assert.rejects(openAgentExec(agent, 'exec', 'default', 'web', 'app', new URLSearchParams({ stdout: 'true' })), (err: unknown) => err instanceof KubeError && /at least one command/.test(err.message));
  await assert.rejects(openAgentExec({ url: base, token: 'wrong' }, 'exec', 'default', 'web', 'app', new URLSearchParams({ command: 'echo', stdout: 'true' })), (err: unknown) => err instanceof KubeError && err.code === 401);

  const ws: WebSocket = await openAgentExec(agent, 'exec', 'default', 'web', 'app', new URLSearchParams([['command', 'exit'], ['command', '2'], ['stderr', 'true']]));
  const frames: Buffer[] = [];
  ws.on('message', (d: Buffer) => frames.push(d));
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  ws.resume();
  assert.equal(await closed, 1000);
  assert.deepEqual(frames.map((f) => f[0]), [2, 3]);
  assert.equal(frames[0]!.subarray(1).toString(), 'exiting with 2\n');
  const status = JSON.parse(frames[1]!.subarray(1).toString()) as { reason: string; details: { causes: { message: string }[] } };
  assert.equal(status.reason, 'NonZeroExitCode');
  assert.equal(status.details.causes[0]!.message, '2');
});
