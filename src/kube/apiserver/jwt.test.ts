import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, loadOrCreateSigningKey, looksLikeJwt, signJwt, verifyJwt } from './jwt.js';
import { tokenRequestSpec } from './sa-tokens.js';

const key = generateSigningKey();
const now = Date.UTC(2025, 0, 1);
const sec = Math.floor(now / 1000);

test('a signed JWT verifies and carries its claims and header', () => {
  const t = signJwt({ sub: 'system:serviceaccount:a:b', exp: sec + 600, nbf: sec, iat: sec }, key);
  assert.ok(looksLikeJwt(t));
  const [h] = t.split('.');
  assert.deepEqual(JSON.parse(Buffer.from(h!, 'base64url').toString()), { alg: 'ES256', kid: key.kid });
  const v = verifyJwt(t, key.publicPem, now);
  assert.ok(v.ok);
  assert.equal(v.ok && v.claims.sub, 'system:serviceaccount:a:b');
  // the raw ECDSA signature is 64 bytes (r||s), as JOSE wants
  assert.equal(Buffer.from(t.split('.')[2]!, 'base64url').length, 64);
});

test('expired, not-yet-valid, tampered, foreign and alg=none tokens are refused', () => {
  const t = signJwt({ sub: 'x', exp: sec + 600, nbf: sec }, key);
  assert.deepEqual(verifyJwt(t, key.publicPem, (sec + 601) * 1000), { ok: false, reason: 'token expired' });
  assert.ok(verifyJwt(t, key.publicPem, (sec + 601) * 1000, 5).ok, 'leeway covers small skew');
  assert.deepEqual(verifyJwt(t, key.publicPem, (sec - 10) * 1000), { ok: false, reason: 'token not yet valid' });
  const [h, , s] = t.split('.');
  const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', exp: sec + 600 })).toString('base64url')}.${s}`;
  assert.deepEqual(verifyJwt(forged, key.publicPem, now), { ok: false, reason: 'bad signature' });
  assert.deepEqual(verifyJwt(t, generateSigningKey().publicPem, now), { ok: false, reason: 'bad signature' });
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', exp: sec + 600 })).toString('base64url')}.`;
  assert.equal(verifyJwt(none, key.publicPem, now).ok, false);
  const hs = `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${t.split('.')[1]}.${s}`;
  assert.match((verifyJwt(hs, key.publicPem, now) as { reason: string }).reason, /algorithm/);
  assert.equal(verifyJwt('garbage', key.publicPem, now).ok, false);
  assert.equal(verifyJwt('a.b.c', key.publicPem, now).ok, false);
  const noExp = signJwt({ sub: 'x' }, key);
  assert.deepEqual(verifyJwt(noExp, key.publicPem, now), { ok: false, reason: 'token expired' });
});

test('the signing key is made once, kept 0600 and reloaded with the same kid', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-jwt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = loadOrCreateSigningKey(dir);
  assert.equal(statSync(join(dir, 'pki', 'sa.key')).mode & 0o777, 0o600);
  const b = loadOrCreateSigningKey(dir);
  assert.equal(a.kid, b.kid);
  const tok = signJwt({ exp: sec + 1000 }, a);
  assert.ok(verifyJwt(tok, b.publicPem, now).ok);
});

test('TokenRequest specs are defaulted and checked', () => {
  assert.deepEqual(tokenRequestSpec({}), { audiences: ['https://kubernetes.default.svc.cluster.local'], expirationSeconds: 3600 });
  assert.deepEqual(tokenRequestSpec({ spec: { audiences: ['vault'], expirationSeconds: 600, boundObjectRef: { kind: 'Pod', name: 'p' } } }), {
    audiences: ['vault'],
    expirationSeconds: 600,
    boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p' },
  });
  assert.throws(() => tokenRequestSpec({ spec: { expirationSeconds: 599 } }), /less than 600 seconds/);
  assert.throws(() => tokenRequestSpec({ spec: { expirationSeconds: 'soon' } }), /integer/);
  assert.throws(() => tokenRequestSpec({ spec: { audiences: [''] } }), /audiences/);
  assert.throws(() => tokenRequestSpec({ spec: { boundObjectRef: { kind: 'Node', name: 'n' } } }), /supported values: "Pod"/);
  assert.throws(() => tokenRequestSpec({ spec: { boundObjectRef: { kind: 'Pod' } } }), /name: Required/);
  assert.throws(() => tokenRequestSpec({ kind: 'Pod' }), /expected kind \(TokenRequest\)/);
});
