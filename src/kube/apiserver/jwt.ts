import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// NOTE: JWTs are made and checked with node:crypto (ES256 = ECDSA P-256 with SHA-256, the
// signature in JOSE's raw r||s form via `dsaEncoding: 'ieee-p1363'`); no JOSE library is needed
// for one fixed algorithm.

/** The service-account signing key of a cluster (`<dataDir>/pki/sa.key`, EC P-256, PKCS#8 PEM). */
export interface SigningKey {
  privatePem: string;
  /** PEM SPKI public key (what `/openid/v1/jwks` would publish). */
  publicPem: string;
  /** Key id: base64url SHA-256 of the DER public key. */
  kid: string;
}

export const JWT_ALG = 'ES256';

function kidOf(publicPem: string): string {
  const der = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

/** Loads the signing key from `<dataDir>/pki/sa.key`, making one (mode 0600) when absent or unreadable. */
export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'sa.key');
  if (existsSync(file)) {
    try {
      const privatePem = readFileSync(file, 'utf8');
      const publicPem = createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }).toString();
      return { privatePem, publicPem, kid: kidOf(publicPem) };
    } catch {
      // unreadable: a new key (tokens signed with the old one stop working, as after a key rotation)
    }
  }
  const k = generateSigningKey();
  writeFileSync(file, k.privatePem, { mode: 0o600 });
  writeFileSync(join(dir, 'sa.pub'), k.publicPem, { mode: 0o644 });
  return k;
}

/** A fresh EC P-256 key (in memory). */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  return { privatePem: privateKey, publicPem: publicKey, kid: kidOf(publicKey) };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Signs `claims` as a compact JWS (header `{alg: ES256, kid}`). */
export function signJwt(claims: Record<string, unknown>, key: SigningKey): string {
  const input = `${b64({ alg: JWT_ALG, kid: key.kid })}.${b64(claims)}`;
  const sig = sign('sha256', Buffer.from(input), { key: key.privatePem, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

/** True when `token` has the shape of a compact JWS (three base64url parts), i.e. is worth verifying. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

export type JwtResult = { ok: true; claims: Record<string, unknown> } | { ok: false; reason: string };

/**
 * Checks a compact JWS against `publicKey`: the header must say ES256 (anything else, `none`
 * included, is refused), the signature must verify, and `exp`/`nbf` (seconds) must hold at
 * `now` (epoch ms) with `leewaySeconds` of clock skew. Never throws.
 */
export function verifyJwt(token: string, publicKey: string | KeyObject, now = Date.now(), leewaySeconds = 0): JwtResult {
  const parts = token.split('.');
  if (parts.length !== 3 || !looksLikeJwt(token)) return { ok: false, reason: 'not a JWT' };
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed JWT' };
  }
  if (!header || typeof header !== 'object' || (header as { alg?: unknown }).alg !== JWT_ALG) return { ok: false, reason: `unsupported JWT algorithm (want ${JWT_ALG})` };
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return { ok: false, reason: 'malformed JWT claims' };
  const sig = Buffer.from(parts[2]!, 'base64url');
  if (sig.length !== 64) return { ok: false, reason: 'bad signature' };
  let good = false;
  try {
    good = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  } catch {
    good = false;
  }
  if (!good) return { ok: false, reason: 'bad signature' };
  const c = claims as Record<string, unknown>;
  const t = Math.floor(now / 1000);
  if (typeof c.exp !== 'number' || t > c.exp + leewaySeconds) return { ok: false, reason: 'token expired' };
  if (typeof c.nbf === 'number' && t + leewaySeconds < c.nbf) return { ok: false, reason: 'token not yet valid' };
  return { ok: true, claims: c };
}
