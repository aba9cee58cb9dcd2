import { generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';

// NOTE: node-forge builds and signs the X.509 certificates (Node's crypto can parse but not
// issue them); the RSA keys come from crypto.generateKeyPairSync, which is native and ~20×
// faster than forge's pure-JS key generation.

/** A PEM certificate and its PEM (PKCS#1) private key. */
export interface KeyPair {
  cert: string;
  key: string;
}

/** Everything TLS needs for one cluster, kept under `<dataDir>/pki/`. */
export interface ClusterPki {
  ca: KeyPair;
  server: KeyPair;
  /** Client certificate of `kubernetes-admin` in `system:masters`, for the kubeconfig. */
  admin: KeyPair;
}

const DAY = 24 * 3600 * 1000;

export interface RawKey {
  publicPem: string;
  privatePem: string;
}

const KEY_OPTIONS = {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
} as const;

function newKey(): RawKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', KEY_OPTIONS);
  return { publicPem: publicKey, privatePem: privateKey };
}

/** Off the main thread: a first start makes three keys in parallel (~0.25 s each on one core). */
function newKeyAsync(): Promise<RawKey> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', KEY_OPTIONS, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicPem: publicKey, privatePem: privateKey })));
  });
}

/** A positive serial of 16 random bytes (Go rejects negative and over-long serials). */
function serial(): string {
  return '01' + randomBytes(15).toString('hex');
}

function createCa(k: RawKey): KeyPair {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(k.publicPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 3650 * DAY);
  const subject = [{ name: 'commonName', value: 'stratus-kube-ca' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(k.privatePem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: k.privatePem };
}

/**
 * Issues a leaf certificate signed by `ca`. `organizations` become O attributes (Kubernetes
 * reads them as groups); `sans` may mix DNS names and IP addresses.
 */
export function issueCertificate(ca: KeyPair, opts: { commonName: string; organizations?: string[]; sans?: string[]; server?: boolean; client?: boolean; days?: number }, key?: RawKey): KeyPair {
  const k = key ?? newKey();
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(k.publicPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + (opts.days ?? 365) * DAY);
  cert.setSubject([
    ...(opts.organizations ?? []).map((o) => ({ name: 'organizationName', value: o })),
    { name: 'commonName', value: opts.commonName },
  ]);
  cert.setIssuer(caCert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: opts.server ?? false, clientAuth: opts.client ?? false },
  ];
  if (opts.sans?.length) {
    extensions.push({
      name: 'subjectAltName',
      altNames: opts.sans.map((s) => (isIP(s) ? { type: 7, ip: s } : { type: 2, value: s })),
    });
  }
  cert.setExtensions(extensions);
  cert.sign(forge.pki.privateKeyFromPem(ca.key), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: k.privatePem };
}

function readPair(dir: string, name: string): KeyPair | undefined {
  const c = join(dir, `${name}.crt`);
  const k = join(dir, `${name}.key`);
  if (!existsSync(c) || !existsSync(k)) return undefined;
  return { cert: readFileSync(c, 'utf8'), key: readFileSync(k, 'utf8') };
}

function writePair(dir: string, name: string, pair: KeyPair): void {
  writeFileSync(join(dir, `${name}.crt`), pair.cert, { mode: 0o644 });
  writeFileSync(join(dir, `${name}.key`), pair.key, { mode: 0o600 });
}

/** The SANs the server certificate must carry for `host` and the first service IP. */
export function serverSans(host: string, serviceIp: string): string[] {
  const names = ['127.0.0.1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', serviceIp];
  if (host && host !== '0.0.0.0' && host !== '::' && !names.includes(host)) names.push(host);
  return names;
}

/**
 * Loads the cluster's CA, server and admin certificates from `<dataDir>/pki`, creating what is
 * missing. The CA is made once per data dir and never replaced (kubeconfigs embed it); the
 * server certificate is reissued when the wanted SANs change (another host), and the admin
 * certificate when the CA is new.
 */
export async function loadOrCreatePki(dataDir: string, sans: string[]): Promise<ClusterPki> {
  const dir = join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let ca = readPair(dir, 'ca');
  const fresh = !ca;
  const sanFile = join(dir, 'apiserver.sans');
  const wanted = [...sans].sort().join(',');
  let server = fresh ? undefined : readPair(dir, 'apiserver');
  const newServer = !server || !existsSync(sanFile) || readFileSync(sanFile, 'utf8') !== wanted;
  let admin = fresh ? undefined : readPair(dir, 'admin');
  const keys = await Promise.all([fresh, newServer, !admin].filter(Boolean).map(() => newKeyAsync()));
  if (!ca) {
    ca = createCa(keys.shift()!);
    writePair(dir, 'ca', ca);
  }
  if (!server || newServer) {
    server = issueCertificate(ca, { commonName: 'kube-apiserver', sans, server: true }, keys.shift());
    writePair(dir, 'apiserver', server);
    writeFileSync(sanFile, wanted);
  }
  if (!admin) {
    admin = issueCertificate(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'], client: true, days: 3650 }, keys.shift());
    writePair(dir, 'admin', admin);
  }
  return { ca, server, admin };
}
