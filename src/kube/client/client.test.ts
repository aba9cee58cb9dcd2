import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { KubeError } from '../errors.js';
import { findResource } from '../resources.js';
import type { KubeObject, WatchEvent } from '../types.js';
import { KubeClient, resourcePath } from './client.js';
import { Informer } from './informer.js';
import { NdjsonParser } from './ndjson.js';

const PODS = findResource('', 'v1', 'pods')!;
const DEPLOYS = findResource('apps', 'v1', 'deployments')!;

describe('NdjsonParser', () => {
  it('joins events split across chunks, including inside a multi-byte character', () => {
    const p = new NdjsonParser();
    const line = Buffer.from('{"type":"ADDED","object":{"metadata":{"name":"ü"}}}\n{"type":"DELETED","object":{}}\n');
    const cut = line.indexOf(0xc3) + 1; // between the two bytes of "ü"
    assert.deepEqual(p.push(line.subarray(0, 5)), []);
    assert.deepEqual(p.push(line.subarray(5, cut)), []);
    const out = p.push(line.subarray(cut));
    assert.equal(out.length, 2);
    assert.equal((out[0] as any).object.metadata.name, 'ü');
    assert.equal(p.pending, 0);
  });

  it('keeps a last line without a newline until end(), and skips garbage', () => {
    const bad: string[] = [];
    const p = new NdjsonParser((l) => bad.push(l));
    assert.deepEqual(p.push('not json\n\n{"a":1}'), []);
    assert.deepEqual(p.end(), [{ a: 1 }]);
    assert.deepEqual(bad, ['not json']);
  });
});

describe('resourcePath', () => {
  it('builds core, group, namespaced and subresource paths', () => {
    assert.equal(resourcePath(PODS, 'default', 'web', 'status'), '/api/v1/namespaces/default/pods/web/status');
    assert.equal(resourcePath(PODS), '/api/v1/pods');
    assert.equal(resourcePath(DEPLOYS, 'kube-system'), '/apis/apps/v1/namespaces/kube-system/deployments');
  });
});

/** A tiny scripted HTTP server: each test sets `handle`. */
describe('KubeClient over HTTP', () => {
  let server: Server;
  let url: string;
  let handle: (req: import('node:http').IncomingMessage, body: string, res: ServerResponse) => void = () => undefined;
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => handle(req, body, res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('sends the bearer token, patch content types and delete options; parses Status errors', async () => {
    const seen: { method: string; url: string; auth?: string; type?: string; body: string }[] = [];
    handle = (req, body, res) => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, type: req.headers['content-type'], body });
      if (req.method === 'GET') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "x" not found', details: { name: 'x', kind: 'pods' } }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"kind":"Pod","apiVersion":"v1","metadata":{"name":"x"}}');
    };
    const c = new KubeClient({ server: url, token: 't0k' });
    try {
      await assert.rejects(c.get(PODS, 'default', 'x'), (err: unknown) => err instanceof KubeError && err.code === 404 && err.reason === 'NotFound' && err.message === 'pods "x" not found');
      await c.patch(PODS, 'default', 'x', 'strategic', { a: 1 }, { subresource: 'status' });
      await c.delete(PODS, 'default', 'x', { gracePeriodSeconds: 0, preconditions: { uid: 'u1' } });
      assert.equal(seen[0]!.auth, 'Bearer t0k');
      assert.equal(seen[1]!.type, 'application/strategic-merge-patch+json');
      assert.equal(seen[1]!.url, '/api/v1/namespaces/default/pods/x/status');
      assert.deepEqual(JSON.parse(seen[2]!.body), { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: 'u1' } });
    } finally {
      c.close();
    }
  });

  it('turns a refused connection into a 503 KubeError naming the server', async () => {
    const c = new KubeClient({ server: 'http://127.0.0.1:1' });
    await assert.rejects(c.list(PODS, 'default'), (err: unknown) => err instanceof KubeError && err.code === 503 && /127\.0\.0\.1:1/.test(err.message));
    c.close();
  });

  it('streams watch events written in odd chunks, in order', async () => {
    const events = [1, 2, 3].map((i) => JSON.stringify({ type: 'ADDED', object: { kind: 'Pod', apiVersion: 'v1', metadata: { name: `p${i}`, resourceVersion: String(i) } } }) + '\n');
    const all = events.join('');
    handle = (req, _b, res) => {
      assert.match(req.url!, /watch=true/);
      assert.match(req.url!, /fieldSelector=spec.nodeName%3Dn1/);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      let i = 0;
      const step = () => {
        if (i >= all.length) return void res.end();
        res.write(all.slice(i, i + 7));
        i += 7;
        setImmediate(step);
      };
      step();
    };
    const c = new KubeClient({ server: url });
    const got: WatchEvent[] = [];
    const w = await c.watch(PODS, undefined, { fieldSelector: 'spec.nodeName=n1' }, (e) => got.push(e));
    await w.done;
    c.close();
    assert.deepEqual(got.map((e) => e.object.metadata.name), ['p1', 'p2', 'p3']);
    assert.equal(w.error, undefined);
  });

  it('informer: resumes from the last resourceVersion, re-lists on a 410 ERROR event and reconciles the cache', async () => {
    const requests: string[] = [];
    let lists = 0;
    let watches = 0;
    const podObj = (name: string, rv: number): KubeObject => ({ kind: 'Pod', apiVersion: 'v1', metadata: { name, namespace: 'd', resourceVersion: String(rv) } });
    handle = (req, _b, res) => {
      requests.push(req.url!);
      res.writeHead(200, { 'content-type': 'application/json' });
      if (!/watch=true/.test(req.url!)) {
        lists++;
        // Second list: a is gone, c appeared.
        const items = lists === 1 ? [podObj('a', 5)] : [podObj('c', 20)];
        return void res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: lists === 1 ? '5' : '20' }, items }));
      }
      watches++;
      if (watches === 1) return void res.end(JSON.stringify({ type: 'ADDED', object: podObj('b', 7) }) + '\n'); // then the server closes
      if (watches === 2) {
        return void res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired', message: 'too old resource version: 7 (9)' } }) + '\n');
      }
      res.flushHeaders(); // stay open
    };
    const c = new KubeClient({ server: url });
    const seen: string[] = [];
    const inf = new Informer(c, PODS, 'd', { retryMs: 10 }, { add: (o) => seen.push(`+${o.metadata.name}`), update: (o) => seen.push(`~${o.metadata.name}`), delete: (o) => seen.push(`-${o.metadata.name}`) });
    try {
      await inf.start();
      const end = Date.now() + 3000;
      while (lists < 2 || watches < 3) {
        if (Date.now() > end) throw new Error(`stuck: ${requests.join(' ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.match(requests[2]!, /resourceVersion=7/, 'the second watch resumes from the event it saw');
      assert.deepEqual(seen, ['+a', '+b', '+c', '-a', '-b']);
      assert.deepEqual(inf.list().map((o) => o.metadata.name), ['c']);
      assert.equal(inf.stats.relists410, 1);
    } finally {
      await inf.stop();
      c.close();
    }
  });
});
