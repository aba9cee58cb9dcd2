import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { networkDriverContract } from './contract.js';
import { NetworkDriverError } from './driver.js';
import { FakeNetworkDriver } from './fake.js';

networkDriverContract('fake', async () => ({ driver: new FakeNetworkDriver(), cleanup: async () => {} }));

describe('fake network driver', () => {
  it('records calls and fails when told to', async () => {
    const fake = new FakeNetworkDriver();
    fake.failNext('deleteNetwork', 2);
    await assert.rejects(fake.deleteNetwork('a'), (e) => e instanceof NetworkDriverError && e.retryable);
    await assert.rejects(fake.deleteNetwork('a'));
    await fake.deleteNetwork('a');
    fake.failAlways('unplugPort');
    await assert.rejects(fake.unplugPort('p'));
    fake.heal();
    await fake.unplugPort('p');
    assert.deepEqual(fake.callsOf('deleteNetwork'), ['a', 'a', 'a']);
  });
});
