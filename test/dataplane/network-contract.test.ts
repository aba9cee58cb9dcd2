// The shared network driver contract, against the real linux driver (root only, isolated).
import { test } from 'node:test';
import { networkDriverContract } from '../../src/drivers/network/contract.js';
import { dataplaneSkipReason, makeLinuxNetwork } from '../support/dataplane.js';

const skip = dataplaneSkipReason();
if (skip) test('network driver contract: linux', { skip }, () => {});
else
  networkDriverContract('linux', async () => {
    const net = await makeLinuxNetwork();
    return { driver: net.driver, cleanup: () => net.cleanup() };
  });
