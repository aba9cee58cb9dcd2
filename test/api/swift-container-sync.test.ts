// Container sync within the cluster: //realm/cluster/account/container targets with a shared key.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil } from '../support/poll.js';
import { mkContainer, put, startSwift, type Swift } from './swift-helpers.js';

describe('swift: container sync', () => {
  let s: Swift;
  before(async () => {
    s = await startSwift({ config: { swift: { syncIntervalMs: 100 } } });
  });
  after(() => s.close());

  /** Polls until `check` passes (sync runs every 100 ms here). */
  const eventually = (check: () => Promise<boolean>, what: string) => pollUntil(check, { timeoutMs: 5000, everyMs: 100, what, retryErrors: false });

  it('validates X-Container-Sync-To and shows sync settings to the owner', async () => {
    const c = await mkContainer(s, 'v');
    for (const bad of ['http://127.0.0.1/v1/AUTH_x/c', '//nope/name1/AUTH_x/c', '//realm1/nope/AUTH_x/c', '//realm1/name1/AUTH_x']) {
      const r = await s.req('POST', `/${c}`, { headers: { 'X-Container-Sync-To': bad } });
      assert.equal(r.status, 400, bad);
    }
    assert.equal((await s.req('POST', `/${c}`, { headers: { 'X-Container-Sync-To': '//REALM1/NAME1/AUTH_x/c', 'X-Container-Sync-Key': 'k' } })).status, 204);
    const head = await s.req('HEAD', `/${c}`);
    assert.equal(head.headers['x-container-sync-to'], '//REALM1/NAME1/AUTH_x/c');
    assert.equal(head.headers['x-container-sync-key'], 'k');
    const info = JSON.parse((await s.raw('GET', '/swift/info', { token: null })).text);
    assert.deepEqual(info.container_sync, { realms: { REALM1: { clusters: { NAME1: { current: true } } } } });
  });

  it('two containers of different projects sync both ways, keeping timestamps', async () => {
    const alt = await s.as('alt_demo');
    const a = await mkContainer(s, 'sa');
    const b = 'sb-' + a;
    assert.equal((await s.raw('PUT', `${alt.accountPath}/${b}`, { token: alt.token })).status, 201);
    await put(s, a, 'from-a', 'AAA', { 'X-Object-Meta-Color': 'red' });
    assert.equal((await s.raw('PUT', `${alt.accountPath}/${b}/from-b`, { token: alt.token, body: 'BB' })).status, 201);
    const key = { 'X-Container-Sync-Key': 'shared' };
    assert.equal((await s.req('POST', `/${a}`, { headers: { ...key, 'X-Container-Sync-To': `//realm1/name1/${alt.account}/${b}` } })).status, 204);
    // The target refuses until it has the same key.
    await sleep(300);
    assert.equal((await s.raw('GET', `${alt.accountPath}/${b}/from-a`, { token: alt.token })).status, 404);
    assert.equal((await s.raw('POST', `${alt.accountPath}/${b}`, { token: alt.token, headers: { ...key, 'X-Container-Sync-To': `//realm1/name1/${s.account}/${a}` } })).status, 204);
    const listing = async (path: string, token: string) => JSON.parse((await s.raw('GET', `${path}?format=json`, { token })).text);
    await eventually(async () => (await listing(`${s.accountPath}/${a}`, s.token)).length === 2 && (await listing(`${alt.accountPath}/${b}`, alt.token)).length === 2, 'both containers to hold both objects');
    assert.deepEqual(await listing(`${s.accountPath}/${a}`, s.token), await listing(`${alt.accountPath}/${b}`, alt.token));
    const copied = await s.raw('GET', `${alt.accountPath}/${b}/from-a`, { token: alt.token });
    assert.equal(copied.text, 'AAA');
    assert.equal(copied.headers['x-object-meta-color'], 'red');
    // A newer write wins on both sides.
    await put(s, a, 'from-b', 'newer');
    await eventually(async () => (await s.raw('GET', `${alt.accountPath}/${b}/from-b`, { token: alt.token })).text === 'newer', 'the newer object to reach the other side');
    assert.equal((await s.req('GET', `/${a}/from-b`)).text, 'newer');
  });
});
