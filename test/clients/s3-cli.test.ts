// The real `aws` CLI (Debian's awscli) against the in-process Stratus S3 API. The CLI is always
// spawned asynchronously: the cloud is served from this very process. Every flow uses its own
// bucket and removes what it made; HOME and the AWS config files point into a temp dir.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bucketName, startS3Cloud, type Ec2Key, type S3TestCloud } from '../api/s3-support.js';
import { onPath, requireTools, run, type RunResult } from '../support/proc.js';

const TOOLS = [{ cmd: 'aws', debPackage: 'awscli' }];
/** Debian's CLI when installed; otherwise whichever `aws` is first on PATH. */
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
const MiB = 1024 * 1024;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

if (!TOOLS.every((x) => onPath(x.cmd)) && !existsSync('/usr/bin/aws')) {
  test('aws CLI against the Stratus S3 API', (t) => {
    requireTools(t, TOOLS);
  });
} else {
  describe('aws CLI against the Stratus S3 API', { concurrency: 3, timeout: 300_000 }, () => {
    let env: S3TestCloud;
    let dir: string;

    before(async () => {
      env = await startS3Cloud({ sqlite: true });
      dir = mkdtempSync(join(tmpdir(), 'stratus-aws-'));
      // Small multipart settings so a 20 MiB copy goes up in 5 MiB parts (the CLI's minimum).
      writeFileSync(join(dir, 'config'), '[default]\ns3 =\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n');
    });
    after(async () => {
      await env?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** An environment with nothing of the developer's AWS or OpenStack settings in it. */
    function awsEnv(key: Ec2Key): NodeJS.ProcessEnv {
      const base: NodeJS.ProcessEnv = {};
      for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_') && !k.startsWith('OS_')) base[k] = v;
      return {
        ...base,
        HOME: dir,
        AWS_CONFIG_FILE: join(dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
        AWS_ACCESS_KEY_ID: key.access,
        AWS_SECRET_ACCESS_KEY: key.secret,
        AWS_DEFAULT_REGION: 'RegionOne',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_PAGER: '',
      };
    }

    async function aws(args: string[], key: Ec2Key = env.keys.demo): Promise<RunResult> {
      return run(AWS, ['--endpoint-url', env.endpoint, ...args], { env: awsEnv(key), timeoutMs: 120_000 });
    }

    async function ok(args: string[], key?: Ec2Key): Promise<string> {
      const r = await aws(args, key);
      assert.equal(r.code, 0, `aws ${args.join(' ')}\n${r.stderr}\n${r.stdout}`);
      return r.stdout;
    }

    const file = (name: string, data: Buffer) => {
      const p = join(dir, name);
      writeFileSync(p, data);
      return p;
    };

    test('mb, cp up and down with identical bytes, ls, rm, rb', async () => {
      const b = bucketName('cli');
      assert.match(await ok(['s3', 'mb', `s3://${b}`]), new RegExp(`make_bucket: ${b}`));
      const data = randomBytes(MiB + 123);
      await ok(['s3', 'cp', file(`${b}.up`, data), `s3://${b}/dir/file.bin`, '--only-show-errors']);
      assert.match(await ok(['s3', 'ls']), new RegExp(` ${b}$`, 'm'));
      const listing = await ok(['s3', 'ls', `s3://${b}/`, '--recursive']);
      assert.match(listing, new RegExp(`\\s${data.length} dir/file\\.bin$`, 'm'));
      assert.match(await ok(['s3', 'ls', `s3://${b}/`]), /PRE dir\//);
      const down = join(dir, `${b}.down`);
      await ok(['s3', 'cp', `s3://${b}/dir/file.bin`, down, '--only-show-errors']);
      assert.equal(md5(readFileSync(down)), md5(data));
      const failed = await aws(['s3', 'rb', `s3://${b}`]);
      assert.notEqual(failed.code, 0, 'a bucket with objects is not removed');
      assert.match(failed.stderr, /BucketNotEmpty/);
      await ok(['s3', 'rm', `s3://${b}/dir/file.bin`]);
      await ok(['s3', 'rb', `s3://${b}`]);
      assert.doesNotMatch(await ok(['s3', 'ls']), new RegExp(` ${b}$`, 'm'));
    });

    test('a 20 MiB file goes up in 5 MiB parts and comes back identical; server-side copy', async () => {
      const b = bucketName('cli-mp');
      await ok(['s3', 'mb', `s3://${b}`]);
      const data = randomBytes(20 * MiB);
      await ok(['s3', 'cp', file(`${b}.up`, data), `s3://${b}/big.bin`, '--only-show-errors']);
      const head = JSON.parse(await ok(['s3api', 'head-object', '--bucket', b, '--key', 'big.bin']));
      assert.equal(head.ContentLength, data.length);
      assert.match(head.ETag, /^"[0-9a-f]{32}-4"$/, 'uploaded in four parts');
      const down = join(dir, `${b}.down`);
      await ok(['s3', 'cp', `s3://${b}/big.bin`, down, '--only-show-errors']);
      assert.equal(md5(readFileSync(down)), md5(data));
      // Bucket to bucket: the CLI copies large objects part by part (UploadPartCopy).
      await ok(['s3', 'cp', `s3://${b}/big.bin`, `s3://${b}/copy.bin`, '--only-show-errors']);
      await ok(['s3', 'cp', `s3://${b}/copy.bin`, down, '--only-show-errors']);
      assert.equal(md5(readFileSync(down)), md5(data));
      await ok(['s3', 'rm', `s3://${b}`, '--recursive', '--only-show-errors']);
      await ok(['s3', 'rb', `s3://${b}`]);
    });

    test('presign gives a URL plain fetch can use; it expires', async () => {
      const b = bucketName('cli-presign');
      await ok(['s3', 'mb', `s3://${b}`]);
      const data = randomBytes(4096);
      await ok(['s3', 'cp', file(`${b}.up`, data), `s3://${b}/p.bin`, '--only-show-errors']);
      const url = (await ok(['s3', 'presign', `s3://${b}/p.bin`, '--expires-in', '300'])).trim();
      assert.ok(url.startsWith(`${env.endpoint}/${b}/p.bin?`), url);
      const r = await fetch(url);
      assert.equal(r.status, 200);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), data);
      const other = await fetch(url.replace('p.bin', 'q.bin'));
      assert.equal(other.status, 403);
      await ok(['s3', 'rm', `s3://${b}/p.bin`]);
      await ok(['s3', 'rb', `s3://${b}`]);
    });

    test('s3api: metadata and delimiter listings; sync; recursive rm (multi-delete)', async () => {
      const b = bucketName('cli-api');
      await ok(['s3api', 'create-bucket', '--bucket', b, '--create-bucket-configuration', 'LocationConstraint=RegionOne']);
      const body = file(`${b}.txt`, Buffer.from('with metadata'));
      await ok(['s3api', 'put-object', '--bucket', b, '--key', 'a/meta.txt', '--body', body, '--metadata', 'owner=cli,purpose=test', '--content-type', 'text/plain']);
      const head = JSON.parse(await ok(['s3api', 'head-object', '--bucket', b, '--key', 'a/meta.txt']));
      assert.deepEqual(head.Metadata, { owner: 'cli', purpose: 'test' });
      assert.equal(head.ContentType, 'text/plain');
      for (const k of ['x/1.txt', 'x/2.txt', 'y.txt']) {
        await ok(['s3', 'cp', file(`${b}-${k.replace('/', '-')}`, Buffer.from(k)), `s3://${b}/${k}`, '--only-show-errors']);
      }
      const listed = JSON.parse(await ok(['s3api', 'list-objects-v2', '--bucket', b, '--delimiter', '/']));
      assert.deepEqual(listed.CommonPrefixes.map((p: any) => p.Prefix), ['a/', 'x/']);
      assert.deepEqual(listed.Contents.map((c: any) => c.Key), ['y.txt']);
      const v1 = JSON.parse(await ok(['s3api', 'list-objects', '--bucket', b, '--prefix', 'x/']));
      assert.deepEqual(v1.Contents.map((c: any) => c.Key), ['x/1.txt', 'x/2.txt']);
      const syncDir = join(dir, `${b}-sync`);
      await ok(['s3', 'sync', `s3://${b}/x/`, syncDir, '--only-show-errors']);
      assert.equal(readFileSync(join(syncDir, '2.txt'), 'utf8'), 'x/2.txt');
      await ok(['s3', 'rm', `s3://${b}`, '--recursive', '--only-show-errors']);
      // The CLI prints nothing for an empty listing.
      assert.doesNotMatch(await ok(['s3api', 'list-objects-v2', '--bucket', b]), /"Key"/);
      await ok(['s3api', 'delete-bucket', '--bucket', b]);
    });

    test('objects made with the CLI are Swift objects, and the other way round', async () => {
      const b = bucketName('cli-swift');
      await ok(['s3', 'mb', `s3://${b}`]);
      const data = randomBytes(10_000);
      await ok(['s3', 'cp', file(`${b}.up`, data), `s3://${b}/from-cli`, '--only-show-errors']);
      const token = await env.tc.token('demo');
      const account = `${env.tc.url}/swift/v1/AUTH_${env.keys.demo.projectId}`;
      const g = await fetch(`${account}/${b}/from-cli`, { headers: { 'x-auth-token': token } });
      assert.equal(g.status, 200);
      assert.equal(md5(Buffer.from(await g.arrayBuffer())), md5(data));
      const p = await fetch(`${account}/${b}/from-swift`, { method: 'PUT', headers: { 'x-auth-token': token }, body: 'swift said so' });
      assert.equal(p.status, 201);
      assert.match(await ok(['s3', 'ls', `s3://${b}/`]), /\s13 from-swift$/m);
      const down = join(dir, `${b}.swift`);
      await ok(['s3', 'cp', `s3://${b}/from-swift`, down, '--only-show-errors']);
      assert.equal(readFileSync(down, 'utf8'), 'swift said so');
      await ok(['s3', 'rm', `s3://${b}`, '--recursive', '--only-show-errors']);
      await ok(['s3', 'rb', `s3://${b}`]);
    });

    test('a wrong secret and a reader writing are refused with S3 error codes', async () => {
      const wrong = await aws(['s3', 'ls'], { ...env.keys.demo, secret: 'wrong-secret' });
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.stderr, /SignatureDoesNotMatch/);
      const b = bucketName('cli-reader');
      await ok(['s3', 'mb', `s3://${b}`]);
      assert.match(await ok(['s3', 'ls'], env.keys.reader), new RegExp(` ${b}$`, 'm'));
      const denied = await aws(['s3', 'cp', file(`${b}.up`, Buffer.from('x')), `s3://${b}/x`], env.keys.reader);
      assert.notEqual(denied.code, 0);
      assert.match(denied.stderr, /AccessDenied/);
      await ok(['s3', 'rb', `s3://${b}`]);
    });
  });
}
