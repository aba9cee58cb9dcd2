import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SingleFlightTimer } from './periodic.js';

describe('SingleFlightTimer', () => {
  it('joins a pass in progress instead of starting a second one', async () => {
    let passes = 0;
    let release!: () => void;
    const t = new SingleFlightTimer(async () => {
      passes++;
      await new Promise<void>((r) => (release = r));
      return passes;
    }, (e) => assert.fail(String(e)));
    const a = t.run();
    const b = t.run();
    release();
    assert.deepEqual(await Promise.all([a, b]), [1, 1]);
    const c = t.run();
    release();
    assert.equal(await c, 2);
  });

  it('runs on its interval, reports errors of timed passes, and stop waits for the pass in progress', async () => {
    const errors: unknown[] = [];
    let passes = 0;
    let finished = false;
    let twoPasses!: () => void;
    const reached = new Promise<void>((r) => (twoPasses = r));
    const t = new SingleFlightTimer(
      async () => {
        passes++;
        if (passes === 1) throw new Error('first pass fails');
        twoPasses();
        await new Promise((r) => setImmediate(r));
        finished = true;
      },
      (e) => errors.push(e),
    );
    // The timer is unref'd: hold the event loop open while the test waits for its passes.
    const hold = setInterval(() => undefined, 1000);
    try {
      t.start(5);
      t.start(5); // a second start is ignored
      await reached;
      await t.stop();
    } finally {
      clearInterval(hold);
    }
    assert.equal(finished, true);
    assert.equal(passes, 2);
    assert.equal((errors[0] as Error).message, 'first pass fails');
  });

  it('does not start with an interval that is not positive', async () => {
    const t = new SingleFlightTimer(() => Promise.reject(new Error('never runs')), (e) => assert.fail(String(e)));
    t.start(0);
    await t.stop();
  });
});
