import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { drift, fingerprintOf } from './fingerprint.js';

const ruleset = (rulesInX: number, elems: number, extra: object[] = []) =>
  JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6' } },
      { table: { family: 'ip', name: 'stx', handle: 1 } },
      { chain: { family: 'ip', table: 'stx', name: 'x', handle: 1 } },
      { chain: { family: 'ip', table: 'stx', name: 'empty', handle: 2 } },
      { map: { family: 'ip', table: 'stx', name: 'fip', type: 'ipv4_addr', map: 'ipv4_addr', ...(elems ? { elem: Array.from({ length: elems }, (_, i) => [`10.0.0.${i}`, `1.1.1.${i}`]) } : {}) } },
      ...Array.from({ length: rulesInX }, (_, i) => ({ rule: { family: 'ip', table: 'stx', chain: 'x', handle: 10 + i, expr: [{ counter: { packets: i, bytes: i } }] } })),
      ...extra,
    ],
  });

describe('nft table fingerprints', () => {
  it('counts rules per chain and elements per map, only in the tables asked for', () => {
    const other = [{ table: { family: 'ip', name: 'kube-proxy' } }, { rule: { family: 'ip', table: 'kube-proxy', chain: 'y' } }];
    assert.deepEqual(fingerprintOf(ruleset(3, 2, other), ['ip stx', 'ip filter']), { 'ip stx': { 'chain x': 3, 'chain empty': 0, 'map fip': 2 } });
    assert.deepEqual(fingerprintOf('', ['ip stx']), {});
  });

  it('finds a flushed, deleted or emptied table, and ignores counters', () => {
    const want = fingerprintOf(ruleset(3, 2), ['ip stx']);
    assert.equal(drift(want, fingerprintOf(ruleset(3, 2), ['ip stx'])), null);
    assert.equal(drift(want, fingerprintOf(ruleset(0, 2), ['ip stx'])), 'table ip stx changed (0 of 3 rules)');
    assert.equal(drift(want, fingerprintOf(ruleset(3, 0), ['ip stx'])), 'table ip stx changed (3 of 3 rules)', 'a flushed map');
    assert.equal(drift(want, {}), 'table ip stx missing');
  });
});
