import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CALLER, harness, input } from './testing.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/** A loopback webhook receiver; `respond` picks the status for each request (or hangs with 0). */
async function receiver(respond: (n: number, path: string) => number = () => 200): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      got.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(data) });
      const status = respond(got.length, req.url ?? '');
      if (status === 0) return; // never answer
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    got,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

test('a transition POSTs Aodh\'s JSON body to each webhook of the new state', async (t) => {
  const rx = await receiver();
  t.after(() => rx.close());
  const h = harness(undefined, { backoffMs: 10 });
  const a = await h.logic.alarms.create({ ...CALLER, admin: true }, input('hot', { severity: 'critical', alarmActions: [`${rx.url}/alarm`, `trust+${rx.url}/trusted`, 'log://'], okActions: [`${rx.url}/ok`] }));
  h.source.put('vm1', 60, h.clock.now(), [90, 91, 92]);
  await h.logic.evaluator.cycle();
  await h.logic.notifier.idle();
  assert.deepEqual(rx.got.map((r) => r.path).sort(), ['/alarm', '/trusted']);
  const post = rx.got.find((r) => r.path === '/alarm')!;
  assert.equal(post.headers['content-type'], 'application/json');
  assert.match(String(post.headers['x-openstack-request-id']), /^req-[0-9a-f-]{36}$/);
  assert.deepEqual(post.body, {
    alarm_id: a.id,
    alarm_name: 'hot',
    severity: 'critical',
    previous: 'insufficient data',
    current: 'alarm',
    reason: 'Transition to alarm due to 3 samples outside threshold, most recent: 92.0',
    reason_data: { type: 'threshold', disposition: 'outside', count: 3, most_recent: 92 },
  });
  assert.ok(h.lines.some((l) => l.includes(`Notifying alarm hot ${a.id} of critical priority from insufficient data to alarm with action log://`)));
  assert.deepEqual(h.logic.notifier.stats, { sent: 3, failed: 0, dropped: 0 });
});

test('webhooks are retried on 5xx, not on 4xx; failures are logged with what to fix', async (t) => {
  const rx = await receiver((n, path) => (path === '/flaky' ? (n === 1 ? 503 : 200) : 404));
  t.after(() => rx.close());
  const h = harness(undefined, { backoffMs: 10, retries: 2 });
  await h.logic.alarms.create(CALLER, input('f', { alarmActions: [`${rx.url}/flaky`] }));
  h.source.put('vm1', 60, h.clock.now(), [99, 99, 99]);
  await h.logic.evaluator.cycle();
  await h.logic.notifier.idle();
  assert.deepEqual(rx.got.map((r) => r.path), ['/flaky', '/flaky']);
  assert.equal(h.logic.notifier.stats.sent, 1);

  await h.logic.alarms.create(CALLER, input('gone', { alarmActions: [`${rx.url}/missing`] }));
  await h.logic.evaluator.cycle();
  await h.logic.notifier.idle();
  assert.equal(rx.got.filter((r) => r.path === '/missing').length, 1, 'a 404 is not retried');
  const line = h.lines.find((l) => l.includes('/missing'))!;
  assert.match(line, /WARN .*alarm gone \(.*\): webhook http:\/\/127\.0\.0\.1:\d+\/missing failed \(HTTP 404 Not Found\) for the transition insufficient data -> alarm; check that the receiver is up/);
  assert.match(line, /openstack alarm update/);
});

test('an unreachable or silent receiver times out after the retries and never blocks the evaluator', async (t) => {
  const rx = await receiver(() => 0);
  t.after(() => rx.close());
  const closed = await receiver();
  await closed.close(); // a port nobody listens on
  const h = harness(undefined, { backoffMs: 10, retries: 1, timeoutMs: 150 });
  await h.logic.alarms.create(CALLER, input('slow', { alarmActions: [`${rx.url}/hang`, `${closed.url}/refused`, 'http://127.0.0.1:6000/x'] }));
  h.source.put('vm1', 60, h.clock.now(), [99, 99, 99]);
  const t0 = performance.now();
  const r = await h.logic.evaluator.cycle();
  assert.ok(performance.now() - t0 < 100, 'the cycle does not wait for webhooks');
  assert.equal(r.notifications, 3);
  await h.logic.notifier.idle();
  assert.equal(rx.got.length, 2, 'one attempt plus one retry');
  assert.equal(h.logic.notifier.stats.failed, 3);
  assert.ok(h.lines.some((l) => /\/hang failed \(no answer within 150 ms\)/.test(l)));
  assert.ok(h.lines.some((l) => /\/refused failed \(ECONNREFUSED\)/.test(l)));
  assert.ok(h.lines.some((l) => /:6000\/x failed \(port 6000 is one that fetch refuses/.test(l)));
});
