import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** What a token carries. Everything else (names, roles, catalog) is resolved at validation. */
export interface TokenPayload {
  userId: string;
  methods: string[];
  issuedAt: number;
  expiresAt: number;
  /** Audit id of this token, then of the token it was rescoped from, if any. */
  auditIds: string[];
  projectId?: string;
  domainId?: string;
  system?: boolean;
  appCredId?: string;
  /** OS-OAUTH1: the access token this token was issued for. */
  oauthAccessTokenId?: string;
}

interface Wire {
  u: string;
  m: string[];
  i: number;
  e: number;
  a: string[];
  p?: string;
  d?: string;
  s?: 1;
  c?: string;
  o?: string;
}

const VERSION = 0x01;

/**
 * Fernet-like tokens: AES-256-GCM over a compact JSON payload, base64url. Authenticated
 * encryption means a token is verified (and its contents kept private) with the key alone,
 * without a database read. Keys rotate by listing the new key first; older keys still decrypt.
 */
export class TokenCodec {
  constructor(private readonly keys: Buffer[]) {
    if (keys.length === 0 || keys.some((k) => k.length !== 32)) throw new Error('token keys must be 32 bytes');
  }

  static generateKey(): Buffer {
    return randomBytes(32);
  }

  encode(p: TokenPayload): string {
    const wire: Wire = { u: p.userId, m: p.methods, i: p.issuedAt, e: p.expiresAt, a: p.auditIds };
    if (p.projectId) wire.p = p.projectId;
    if (p.domainId) wire.d = p.domainId;
    if (p.system) wire.s = 1;
    if (p.appCredId) wire.c = p.appCredId;
    if (p.oauthAccessTokenId) wire.o = p.oauthAccessTokenId;
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, nonce);
    const body = Buffer.concat([cipher.update(JSON.stringify(wire), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), nonce, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** Returns undefined for anything that is not a token made with one of our keys. */
  decode(token: string): TokenPayload | undefined {
    if (token.length < 40 || token.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const raw = Buffer.from(token, 'base64url');
    if (raw.length < 1 + 12 + 16 + 2 || raw[0] !== VERSION) return undefined;
    const nonce = raw.subarray(1, 13);
    const tag = raw.subarray(raw.length - 16);
    const body = raw.subarray(13, raw.length - 16);
    for (const key of this.keys) {
      try {
        const d = createDecipheriv('aes-256-gcm', key, nonce);
        d.setAuthTag(tag);
        const w = JSON.parse(Buffer.concat([d.update(body), d.final()]).toString('utf8')) as Wire;
        const out: TokenPayload = { userId: w.u, methods: w.m, issuedAt: w.i, expiresAt: w.e, auditIds: w.a };
        if (w.p) out.projectId = w.p;
        if (w.d) out.domainId = w.d;
        if (w.s) out.system = true;
        if (w.c) out.appCredId = w.c;
        if (w.o) out.oauthAccessTokenId = w.o;
        return out;
      } catch {
        // try the next key
      }
    }
    return undefined;
  }
}
