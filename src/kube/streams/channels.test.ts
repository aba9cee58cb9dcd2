import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Channel, V1, V1_BASE64, V4, V5, decodeChannel, encodeChannel, exitCodeStatus, parseResize, pickProtocol, EXEC_PROTOCOLS, PORT_FORWARD_PROTOCOLS, statusAsText } from './channels.js';

test('binary channel frames carry the channel in byte 0', () => {
  const m = encodeChannel(V5, Channel.STDOUT, Buffer.from('hi'));
  assert.equal(m.binary, true);
  assert.deepEqual([...(m.data as Buffer)], [1, 104, 105]);
  assert.deepEqual(decodeChannel(V5, m.data as Buffer, true), { channel: 1, payload: Buffer.from('hi') });
  assert.deepEqual(decodeChannel(V5, Buffer.from([255, 0]), true), { channel: Channel.CLOSE, payload: Buffer.from([0]) });
  assert.equal(decodeChannel(V5, Buffer.alloc(0), true), undefined);
});

test('base64 channel frames are text: ASCII digit then base64', () => {
  const m = encodeChannel(V1_BASE64, Channel.STDERR, Buffer.from('oops'));
  assert.deepEqual(m, { data: '2b29wcw==', binary: false });
  assert.deepEqual(decodeChannel(V1_BASE64, Buffer.from('0aGk='), false), { channel: 0, payload: Buffer.from('hi') });
  assert.equal(decodeChannel(V1_BASE64, Buffer.from('xyz'), false), undefined);
});

test('protocol choice: exec prefers v5, port-forward v4; nothing shared → undefined', () => {
  assert.equal(pickProtocol(['v4.channel.k8s.io', 'v5.channel.k8s.io'], EXEC_PROTOCOLS), V5);
  assert.equal(pickProtocol([V5, V4, 'v3.channel.k8s.io', 'v2.channel.k8s.io', V1], PORT_FORWARD_PROTOCOLS), V4);
  assert.equal(pickProtocol(['SPDY/3.1+portforward.k8s.io'], EXEC_PROTOCOLS), undefined);
});

test('exit codes become the NonZeroExitCode Status kubectl reads', () => {
  assert.deepEqual(exitCodeStatus(0), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
  const s = exitCodeStatus(3);
  assert.equal(s.status, 'Failure');
  assert.equal(s.reason, 'NonZeroExitCode');
  assert.deepEqual(s.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
  assert.equal(statusAsText(exitCodeStatus(0)), '');
  assert.match(statusAsText(s), /exit status 3/);
});

test('resize payloads are validated', () => {
  assert.deepEqual(parseResize(Buffer.from('{"Width":80,"Height":24}')), { width: 80, height: 24 });
  assert.equal(parseResize(Buffer.from('{"Width":-1,"Height":24}')), undefined);
  assert.equal(parseResize(Buffer.from('nope')), undefined);
});
