import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { powerVerdict, resyncInterval } from './power-sync.js';

describe('power state sync (nova _sync_instance_power_state)', () => {
  it('stops an ACTIVE server whose instance shut down, crashed or was suspended behind its back', () => {
    assert.equal(powerVerdict('active', 'crashed'), 'stop');
    assert.equal(powerVerdict('active', 'shutdown'), 'stop');
    assert.equal(powerVerdict('active', 'suspended'), 'stop');
    assert.equal(powerVerdict('active', 'running'), null);
  });
  it('only records an unexpected pause, and ignores an instance the hypervisor does not know', () => {
    assert.equal(powerVerdict('active', 'paused'), 'record');
    assert.equal(powerVerdict('active', 'nostate'), null);
    assert.equal(powerVerdict('stopped', 'nostate'), null);
  });
  it('stops a paused or suspended server found down, and a SHUTOFF one found running', () => {
    assert.equal(powerVerdict('paused', 'crashed'), 'stop');
    assert.equal(powerVerdict('suspended', 'shutdown'), 'stop');
    assert.equal(powerVerdict('paused', 'paused'), null);
    assert.equal(powerVerdict('stopped', 'running'), 'stop');
    assert.equal(powerVerdict('stopped', 'shutdown'), null);
    assert.equal(powerVerdict('stopped', 'crashed'), null);
  });
  it('leaves other vm states alone', () => {
    assert.equal(powerVerdict('building', 'shutdown'), null);
    assert.equal(powerVerdict('error', 'running'), null);
  });
  it('reads its period from STRATUS_RESYNC_MS (0 = off), else 10 s', () => {
    assert.equal(resyncInterval({}), 10_000);
    assert.equal(resyncInterval({ STRATUS_RESYNC_MS: '1000' }), 1000);
    assert.equal(resyncInterval({ STRATUS_RESYNC_MS: '0' }), 0);
    assert.equal(resyncInterval({ STRATUS_RESYNC_MS: 'soon' }), 10_000);
    assert.equal(resyncInterval({ STRATUS_RESYNC_MS: '-5' }), 10_000);
  });
});
