import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restoreLines } from './network.js';

describe('container ports: giving a re-linked interface its guest configuration back', () => {
  it('restores addresses, then link routes, then routes through a gateway', () => {
    const lines = restoreLines({
      eth: 'eth0',
      mtu: 1450,
      addrs: [{ local: '10.0.0.5', prefixlen: 26, broadcast: '10.0.0.63' }],
      routes: [
        { dst: 'default', gateway: '10.0.0.1' },
        { dst: '169.254.169.254', gateway: '10.0.0.2' },
        { dst: '192.168.7.0/24', scope: 'link', metric: 5 },
      ],
    });
    assert.deepEqual(lines, [
      'addr replace 10.0.0.5/26 broadcast 10.0.0.63 dev eth0',
      'route replace 192.168.7.0/24 dev eth0 scope link metric 5',
      'route replace default via 10.0.0.1 dev eth0',
      'route replace 169.254.169.254 via 10.0.0.2 dev eth0',
    ]);
  });
  it('has nothing to restore for an interface the guest never configured', () => {
    assert.deepEqual(restoreLines({ eth: 'eth1', addrs: [], routes: [] }), []);
  });
});
