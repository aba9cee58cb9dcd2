import assert from 'node:assert/strict';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { startTestCloud, type TestCloud } from '../support/cloud.js';
import { projectId, userId } from './helpers.js';

/** Shared setup for the S3 API suites: a cloud, EC2 credentials, SDK clients. */

export interface Ec2Key {
  access: string;
  secret: string;
  userId: string;
  projectId: string;
}

export interface S3TestCloud {
  tc: TestCloud;
  /** The S3 endpoint as the catalog lists it (http://127.0.0.1:<port>/s3). */
  endpoint: string;
  /** Credentials of demo (member of demo), demo_reader (reader of demo) and alt_demo. */
  keys: Record<'demo' | 'reader' | 'alt', Ec2Key>;
  client(key?: Ec2Key, extra?: Partial<S3ClientConfig>): S3Client;
  close(): Promise<void>;
}

export const REGION = 'RegionOne';

/**
 * Creates an EC2 credential for a user on a project through the identity API, with the user's
 * own token (or the admin's: readers may not create credentials).
 */
export async function createEc2(tc: TestCloud, user: string, project: string, byAdmin = false): Promise<Ec2Key> {
  const admin = await tc.token('admin');
  const uid = await userId(tc, admin, user);
  const pid = await projectId(tc, admin, project);
  const token = byAdmin ? admin : await tc.token(user, project);
  const r = await tc.req('POST', `/identity/v3/users/${uid}/credentials/OS-EC2`, { token, body: { tenant_id: pid } });
  assert.equal(r.status, 201, r.text);
  return { access: r.body.credential.access, secret: r.body.credential.secret, userId: uid, projectId: pid };
}

/** The S3 endpoint from the catalog (service type `s3`). */
export async function s3Endpoint(tc: TestCloud): Promise<string> {
  const r = await tc.req('GET', '/identity/v3/auth/catalog', { token: await tc.token('demo') });
  assert.equal(r.status, 200, r.text);
  const s3 = r.body.catalog.find((s: any) => s.type === 's3');
  assert.ok(s3, 'the catalog lists an s3 service');
  assert.equal(s3.name, 's3');
  return s3.endpoints.find((e: any) => e.interface === 'public').url;
}

export function makeClient(endpoint: string, key: Ec2Key, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: key.access, secretAccessKey: key.secret },
    maxAttempts: 1,
    ...extra,
  });
}

export async function startS3Cloud(opts: { sqlite?: boolean } = {}): Promise<S3TestCloud> {
  const tc = await startTestCloud(opts);
  const endpoint = await s3Endpoint(tc);
  const keys = {
    demo: await createEc2(tc, 'demo', 'demo'),
    reader: await createEc2(tc, 'demo_reader', 'demo', true),
    alt: await createEc2(tc, 'alt_demo', 'alt_demo'),
  };
  const clients: S3Client[] = [];
  return {
    tc,
    endpoint,
    keys,
    client(key = keys.demo, extra = {}) {
      const c = makeClient(endpoint, key, extra);
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) c.destroy();
      await tc.close();
    },
  };
}

/** A response body as bytes. */
export async function bytesOf(body: unknown): Promise<Buffer> {
  const b = body as { transformToByteArray(): Promise<Uint8Array> };
  return Buffer.from(await b.transformToByteArray());
}

/** Runs a command and returns the error it rejects with (asserting that it does). */
export async function rejection(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected the request to fail');
}

/** Asserts an SDK error's S3 code and HTTP status. */
export async function assertS3Error(p: Promise<unknown>, code: string, status: number): Promise<any> {
  const e = await rejection(p);
  assert.equal(e.name, code, `error code: ${e.name} ${e.message}`);
  assert.equal(e.$metadata?.httpStatusCode, status, `status of ${code}`);
  return e;
}

/** Bucket names unique per run, valid for S3. */
export function bucketName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
