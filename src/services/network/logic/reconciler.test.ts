import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../core/log.js';
import { NetworkDriverError } from '../../../drivers/network/driver.js';
import { Reconciler, type Handlers, type SyncKind } from './reconciler.js';

function handlers(fn: (kind: SyncKind, id: string) => Promise<void>): Handlers {
  const h = {} as Handlers;
  for (const k of ['net', 'port', 'router', 'fip', 'sg', 'dhcp'] as const) h[k] = (id) => fn(k, id);
  return h;
}

describe('reconciler', () => {
  it('coalesces bursts: a key runs at most once more after the run in progress', async () => {
    let runs = 0;
    const r = new Reconciler(handlers(async () => {
      runs++;
      await new Promise((res) => setTimeout(res, 10));
    }), silentLogger);
    for (let i = 0; i < 50; i++) r.schedule('port', 'a');
    await new Promise((res) => setTimeout(res, 1));
    for (let i = 0; i < 50; i++) r.schedule('port', 'a');
    await r.idle();
    assert.ok(runs >= 1 && runs <= 2, `${runs} runs`);
    let dhcp = 0;
    const d = new Reconciler(handlers(async (k) => void (k === 'dhcp' && dhcp++)), silentLogger);
    for (let i = 0; i < 20; i++) d.schedule('dhcp', 'n');
    await d.idle();
    assert.equal(dhcp, 1, 'DHCP syncs are debounced');
  });

  it('retries failures with backoff until they succeed, and not when told not to', async () => {
    let attempts = 0;
    const r = new Reconciler(handlers(async (_k, id) => {
      if (id === 'fatal') throw new NetworkDriverError('invalid', 'no');
      if (++attempts < 3) throw new NetworkDriverError('failed', 'try again');
    }), silentLogger);
    r.schedule('router', 'x');
    r.schedule('router', 'fatal');
    await r.idle();
    assert.equal(r.failing, 1, 'one object waits for a retry');
    const end = Date.now() + 3000;
    while (attempts < 3 && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
    await r.idle();
    assert.equal(attempts, 3);
    assert.equal(r.failing, 0);
    await r.close();
  });
});
