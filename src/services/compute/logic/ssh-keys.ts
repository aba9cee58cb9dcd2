import { createHash, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

const generate = promisify(generateKeyPair);

/** Key types an OpenSSH public key line may have, and whether the blob must name the same type. */
const TYPES = new Set([
  'ssh-rsa',
  'ssh-dss',
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/** RSA keys beyond this many bits are refused (nova: "Keypair data is invalid"). */
const MAX_RSA_BITS = 16384;

export interface ParsedKey {
  type: string;
  blob: Buffer;
  fingerprint: string;
}

/** `aa:bb:…`: the MD5 of the key blob, as `ssh-keygen -E md5 -l` prints it (without "MD5:"). */
export function md5Fingerprint(blob: Buffer): string {
  return createHash('md5').update(blob).digest('hex').match(/../g)!.join(':');
}

function readString(buf: Buffer, at: number): { value: Buffer; next: number } | undefined {
  if (at + 4 > buf.length) return undefined;
  const len = buf.readUInt32BE(at);
  if (at + 4 + len > buf.length) return undefined;
  return { value: buf.subarray(at + 4, at + 4 + len), next: at + 4 + len };
}

function rsaBits(blob: Buffer): number | undefined {
  const e = readString(blob, readString(blob, 0)!.next);
  const n = e && readString(blob, e.next);
  if (!n) return undefined;
  let bytes = n.value;
  while (bytes.length && bytes[0] === 0) bytes = bytes.subarray(1);
  return bytes.length * 8;
}

/**
 * Validates an OpenSSH public key line (`<type> <base64 blob> [comment]`) and returns its
 * fingerprint; undefined when it is not one (the blob must decode and name the same type).
 */
export function parsePublicKey(line: string): ParsedKey | undefined {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2 || !TYPES.has(parts[0]!)) return undefined;
  const b64 = parts[1]!;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return undefined;
  const blob = Buffer.from(b64, 'base64');
  const inner = readString(blob, 0);
  if (!inner || inner.value.toString('latin1') !== parts[0]) return undefined;
  if (parts[0] === 'ssh-rsa') {
    const bits = rsaBits(blob);
    if (bits === undefined || bits < 768 || bits > MAX_RSA_BITS) return undefined;
  }
  if (parts[0] === 'ssh-ed25519') {
    const key = readString(blob, inner.next);
    if (!key || key.value.length !== 32) return undefined;
  }
  return { type: parts[0]!, blob, fingerprint: md5Fingerprint(blob) };
}

function sshString(b: Buffer | string): Buffer {
  const v = typeof b === 'string' ? Buffer.from(b, 'latin1') : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(v.length);
  return Buffer.concat([len, v]);
}

/** An unsigned big integer from base64url as an SSH mpint (leading zero when the top bit is set). */
function mpint(b64url: string): Buffer {
  let v = Buffer.from(b64url, 'base64url');
  while (v.length > 1 && v[0] === 0) v = v.subarray(1);
  if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return sshString(v);
}

export interface GeneratedKey {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
}

async function rsaKey(comment: string): Promise<GeneratedKey> {
  const { publicKey, privateKey } = await generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const jwk = (publicKey as KeyObject).export({ format: 'jwk' });
  const blob = Buffer.concat([sshString('ssh-rsa'), mpint(jwk.e!), mpint(jwk.n!)]);
  return {
    publicKey: `ssh-rsa ${blob.toString('base64')} ${comment}`,
    privateKey: (privateKey as KeyObject).export({ format: 'pem', type: 'pkcs1' }).toString(),
    fingerprint: md5Fingerprint(blob),
  };
}

/** The `openssh-key-v1` container, unencrypted, for one ed25519 key. */
function opensshPrivate(pub: Buffer, seed: Buffer, comment: string): string {
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, sshString('ssh-ed25519'), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0', 'latin1'), sshString('none'), sshString('none'), sshString(''), count, sshString(blob), sshString(priv)]);
  const lines = body.toString('base64').match(/.{1,70}/g)!;
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

async function ed25519Key(comment: string): Promise<GeneratedKey> {
  const { publicKey, privateKey } = await generate('ed25519', {});
  const pub = Buffer.from((publicKey as KeyObject).export({ format: 'jwk' }).x!, 'base64url');
  const seed = Buffer.from((privateKey as KeyObject).export({ format: 'jwk' }).d!, 'base64url');
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(pub)]);
  return {
    publicKey: `ssh-ed25519 ${blob.toString('base64')} ${comment}`,
    privateKey: opensshPrivate(pub, seed, comment),
    fingerprint: md5Fingerprint(blob),
  };
}

/** A new key pair; the private key is returned once and never stored. */
export function generateKey(algorithm: 'rsa' | 'ed25519', comment: string): Promise<GeneratedKey> {
  return algorithm === 'ed25519' ? ed25519Key(comment) : rsaKey(comment);
}
