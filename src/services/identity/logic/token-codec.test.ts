import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenCodec, type TokenPayload } from './token-codec.js';

const payload = (over: Partial<TokenPayload> = {}): TokenPayload => ({
  userId: 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4',
  methods: ['password'],
  issuedAt: 1_700_000_000_000,
  expiresAt: 1_700_003_600_000,
  auditIds: ['AAAAAAAAAAAAAAAAAAAAAA'],
  ...over,
});

/** Flips one bit of the decoded token bytes at `index` (negative counts from the end). */
function flip(token: string, index: number): string {
  const raw = Buffer.from(token, 'base64url');
  const i = index < 0 ? raw.length + index : index;
  raw[i] = raw[i]! ^ 0x01;
  return raw.toString('base64url');
}

describe('TokenCodec', () => {
  const key = TokenCodec.generateKey();
  const codec = new TokenCodec([key]);

  it('round-trips every kind of payload', () => {
    const cases: TokenPayload[] = [
      payload(),
      payload({ projectId: 'p'.repeat(32) }),
      payload({ domainId: 'default' }),
      payload({ system: true }),
      payload({ methods: ['password', 'token'], auditIds: ['new-audit', 'parent-audit'], projectId: 'proj' }),
      payload({ methods: ['application_credential'], appCredId: 'ac'.repeat(16), projectId: 'proj' }),
    ];
    for (const p of cases) assert.deepEqual(codec.decode(codec.encode(p)), p);
  });

  it('tokens are url-safe, opaque and unique per issue', () => {
    const p = payload({ projectId: 'visible-project-id' });
    const a = codec.encode(p);
    const b = codec.encode(p);
    assert.match(a, /^[A-Za-z0-9_-]+$/);
    assert.notEqual(a, b, 'a fresh nonce every time');
    assert.ok(!Buffer.from(a, 'base64url').toString('latin1').includes('visible-project-id'), 'the payload is encrypted');
    assert.ok(a.length < 400, `compact: ${a.length}`);
  });

  it('any tampering gives undefined', () => {
    const t = codec.encode(payload({ projectId: 'proj' }));
    const len = Buffer.from(t, 'base64url').length;
    for (const i of [0, 1, 5, 12, 13, 20, len - 17, len - 16, len - 1]) assert.equal(codec.decode(flip(t, i)), undefined, `byte ${i}`);
    assert.equal(codec.decode(t.slice(0, -2)), undefined, 'truncated');
    assert.equal(codec.decode(t + 'AA'), undefined, 'extended');
    assert.equal(codec.decode(t.slice(0, 20)), undefined, 'too short');
  });

  it('garbage gives undefined, never a throw', () => {
    const junk = ['', 'x', 'not a token', 'a'.repeat(39), 'a'.repeat(40), 'A'.repeat(200), '!'.repeat(60), 'a'.repeat(5000), 'gAAAAABk' + 'x'.repeat(100), '\u0000'.repeat(50), 'é'.repeat(60)];
    for (const j of junk) assert.equal(codec.decode(j), undefined, JSON.stringify(j.slice(0, 20)));
    // Right version byte and length, random body.
    const raw = Buffer.alloc(80, 7);
    raw[0] = 1;
    assert.equal(codec.decode(raw.toString('base64url')), undefined);
  });

  it('a token made with another key does not decode', () => {
    const other = new TokenCodec([TokenCodec.generateKey()]);
    assert.equal(codec.decode(other.encode(payload())), undefined);
    assert.equal(other.decode(codec.encode(payload())), undefined);
  });

  it('key rotation: a new primary key still accepts tokens of the old one until it is dropped', () => {
    const oldKey = TokenCodec.generateKey();
    const newKey = TokenCodec.generateKey();
    const before = new TokenCodec([oldKey]);
    const rotated = new TokenCodec([newKey, oldKey]);
    const afterDrop = new TokenCodec([newKey]);
    const oldToken = before.encode(payload({ projectId: 'p-old' }));
    const newToken = rotated.encode(payload({ projectId: 'p-new' }));
    assert.equal(rotated.decode(oldToken)?.projectId, 'p-old');
    assert.equal(rotated.decode(newToken)?.projectId, 'p-new');
    assert.equal(afterDrop.decode(newToken)?.projectId, 'p-new', 'new tokens use the first key');
    assert.equal(afterDrop.decode(oldToken), undefined, 'dropping the old key invalidates its tokens');
    assert.equal(before.decode(newToken), undefined);
  });

  it('refuses keys that are not 32 bytes, and an empty key list', () => {
    assert.throws(() => new TokenCodec([]), /32 bytes/);
    assert.throws(() => new TokenCodec([Buffer.alloc(16)]), /32 bytes/);
    assert.throws(() => new TokenCodec([key, Buffer.alloc(31)]), /32 bytes/);
    assert.equal(TokenCodec.generateKey().length, 32);
    assert.notDeepEqual(TokenCodec.generateKey(), TokenCodec.generateKey());
  });
});
