import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashPassword, SCRYPT_COST, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('hashes in the scrypt$N$r$p$salt$hash format, salted', async () => {
    const a = await hashPassword('secret');
    const b = await hashPassword('secret');
    const parts = a.split('$');
    assert.equal(parts.length, 6);
    assert.deepEqual(parts.slice(0, 4), ['scrypt', String(SCRYPT_COST.N), String(SCRYPT_COST.r), String(SCRYPT_COST.p)]);
    assert.equal(Buffer.from(parts[4]!, 'base64').length, 16);
    assert.equal(Buffer.from(parts[5]!, 'base64').length, 32);
    assert.notEqual(a, b, 'each hash has its own salt');
    assert.ok(!a.includes('secret'));
  });

  it('verifies the right password and refuses wrong ones', async () => {
    const h = await hashPassword('correct horse');
    assert.equal(await verifyPassword('correct horse', h), true);
    for (const wrong of ['correct hors', 'Correct horse', 'correct horse ', '', 'x'.repeat(4096)]) assert.equal(await verifyPassword(wrong, h), false, wrong);
  });

  it('handles unicode, empty and long passwords', async () => {
    for (const pw of ['pässwörd✓', '', 'p'.repeat(4096), 'with$dollar$signs']) {
      const h = await hashPassword(pw);
      assert.equal(await verifyPassword(pw, h), true, pw.slice(0, 20));
    }
    // NFC and NFD forms are different byte strings.
    assert.equal(await verifyPassword('e\u0301', await hashPassword('\u00e9')), false);
  });

  it('a missing or malformed stored hash never verifies and never throws', async () => {
    for (const stored of [null, undefined, '', 'plain', 'scrypt$1$2$3', 'bcrypt$16384$8$1$AAAA$BBBB', 'scrypt$16384$8$1$$']) {
      assert.equal(await verifyPassword('secret', stored), false, String(stored));
    }
  });

  it('verifies a hash with other cost parameters (the cost can rise later)', async () => {
    const h = await hashPassword('pw');
    const [, , , , salt] = h.split('$');
    const { scryptSync } = await import('node:crypto');
    const cheap = scryptSync('pw', Buffer.from(salt!, 'base64'), 32, { N: 1024, r: 8, p: 1 }).toString('base64');
    assert.equal(await verifyPassword('pw', `scrypt$1024$8$1$${salt}$${cheap}`), true);
    assert.equal(await verifyPassword('pw2', `scrypt$1024$8$1$${salt}$${cheap}`), false);
  });
});
