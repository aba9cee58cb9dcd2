// Telemetry end to end in one cloud: measures posted to the metric service (Gnocchi API) drive
// an alarm of the alarming service (Aodh API) through ok → alarm → ok, and its webhook fires.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestCloud, type TestCloud } from '../support/cloud.js';
import { pollUntil } from '../support/poll.js';

describe('telemetry: metric measures drive alarms', () => {
  let c: TestCloud;
  let token: string;
  let hook: Server;
  const received: { current: string; previous: string; alarm_name: string }[] = [];
  const saved = process.env.STRATUS_ALARM_EVAL_MS;

  before(async () => {
    // A quick evaluator, so transitions show within a second.
    process.env.STRATUS_ALARM_EVAL_MS = '200';
    c = await startTestCloud();
    token = await c.token('demo');
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    if (saved === undefined) delete process.env.STRATUS_ALARM_EVAL_MS;
    else process.env.STRATUS_ALARM_EVAL_MS = saved;
    await new Promise((r) => hook?.close(r));
    await c?.close();
  });

  /** Posts one measure per second for the last `n` seconds, all of `value`. */
  const post = async (resource: string, value: number, n = 3) => {
    const now = Math.floor(Date.now() / 1000);
    const measures = Array.from({ length: n }, (_, i) => ({ timestamp: new Date((now - n + 1 + i) * 1000).toISOString(), value }));
    const r = await c.req('POST', `/metric/v1/resource/generic/${resource}/metric/load/measures`, { token, body: measures });
    assert.equal(r.status, 202, r.text);
  };
  const state = async (id: string) => (await c.req('GET', `/alarming/v2/alarms/${id}/state`, { token })).body as string;

  it('a threshold alarm on a resource metric goes ok → alarm → ok and calls its webhook', async () => {
    const resource = '5a3c1f0e-1111-4222-8333-444455556666';
    let r = await c.req('POST', '/metric/v1/resource/generic', { token, body: { id: resource, metrics: { load: { archive_policy_name: 'high' } } } });
    assert.equal(r.status, 201, r.text);
    await post(resource, 10);
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    r = await c.req('POST', '/alarming/v2/alarms', {
      token,
      body: {
        name: 'load-high',
        type: 'gnocchi_resources_threshold',
        alarm_actions: [url],
        ok_actions: [url],
        gnocchi_resources_threshold_rule: { metric: 'load', resource_id: resource, resource_type: 'generic', aggregation_method: 'mean', granularity: 1, evaluation_periods: 1, comparison_operator: 'gt', threshold: 50 },
      },
    });
    assert.equal(r.status, 201, r.text);
    const id = r.body.alarm_id as string;
    await pollUntil(async () => (await state(id)) === 'ok', { timeoutMs: 5_000, what: 'the alarm turns ok on low measures' });

    await post(resource, 90);
    await pollUntil(async () => (await state(id)) === 'alarm', { timeoutMs: 5_000, what: 'the alarm fires on high measures' });
    await pollUntil(() => received.some((n) => n.current === 'alarm' && n.alarm_name === 'load-high'), { timeoutMs: 5_000, what: 'the webhook got the alarm' });

    await post(resource, 5);
    await pollUntil(async () => (await state(id)) === 'ok', { timeoutMs: 5_000, what: 'the alarm clears' });
    await pollUntil(() => received.some((n) => n.current === 'ok' && n.previous === 'alarm'), { timeoutMs: 5_000, what: 'the webhook got the ok' });

    const history = (await c.req('GET', `/alarming/v2/alarms/${id}/history`, { token })).body as { type: string; detail: string }[];
    const transitions = history.filter((h) => h.type === 'state transition').map((h) => JSON.parse(h.detail).state);
    assert.deepEqual(transitions.slice(0, 3), ['ok', 'alarm', 'ok'], 'newest first, as Aodh lists history');
  });
});
