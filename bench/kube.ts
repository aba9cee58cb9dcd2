/**
 * Kubernetes control plane (issue #7), against a `stratus kube up --nodes 2` child process on
 * the fake runtime:
 * - spawn to both nodes Ready, cold (fresh data dir: CA and keys generated) and warm (restart);
 * - a 10-replica Deployment created until all 10 pods are Ready;
 * - list latency with 5,000 pods, beside a bare node:https server answering the same bytes
 *   (the serialisation and transport floor, in the same run);
 * - watch latency: a write's event at a watcher, p50/p99;
 * - API server RSS (the whole cluster: API server, controllers, scheduler, agents).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, openSync } from 'node:fs';
import { Agent, createServer, request, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';
import { out, printFigure, section, type Figure } from './report.js';
import { ROOT } from './stratus.js';
import { freePort, percentileSorted, rssMiB, sleep, stopChild, tempDir, track } from './util.js';

/** An HTTPS connection to a cluster's API server (shared by the kube and kube-real parts). */
export interface Conn {
  base: string;
  agent: Agent;
}

export function connFromKubeconfig(path: string): Conn {
  const kc = parse(readFileSync(path, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const b = (s: string) => Buffer.from(s, 'base64');
  const cluster = kc.clusters[0]!.cluster;
  const user = kc.users[0]!.user;
  const agent = new Agent({ keepAlive: true, maxSockets: 16, ca: b(cluster['certificate-authority-data']), cert: b(user['client-certificate-data']), key: b(user['client-key-data']) });
  return { base: cluster.server, agent };
}

export function call(c: Conn, method: string, path: string, body?: unknown): Promise<{ status: number; json: any; bytes: number }> {
  const url = new URL(path, c.base);
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const opts: RequestOptions = { method, agent: c.agent, headers: { accept: 'application/json', ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) } };
  return new Promise((resolve, reject) => {
    const req = request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        let json: any = undefined;
        try {
          json = JSON.parse(buf.toString('utf8'));
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json, bytes: buf.length });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

interface KubeChild {
  child: ChildProcess;
  conn: Conn;
  /** Milliseconds from spawn to both nodes Ready. */
  readyMs: number;
}

async function startKube(dataDir: string, logDir: string, name: string, port: number): Promise<KubeChild> {
  const kubeconfig = join(dataDir, 'kubeconfig');
  const fd = openSync(join(logDir, `${name}.log`), 'w');
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'stratus.js'), 'kube', 'up', '--nodes', '2', '--port', String(port), '--data-dir', dataDir, '--kubeconfig', kubeconfig, '--fake-runtime'], { stdio: ['ignore', fd, fd] });
  track(child);
  let conn: Conn | undefined;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`stratus kube up exited with ${child.exitCode}; see ${join(logDir, `${name}.log`)}`);
    if (performance.now() - t0 > 60_000) throw new Error('nodes not Ready after 60 s');
    try {
      conn ??= connFromKubeconfig(kubeconfig);
      const r = await call(conn, 'GET', '/api/v1/nodes');
      const items = (r.json?.items ?? []) as any[];
      const ready = items.filter((n) => (n.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'));
      if (ready.length >= 2) return { child, conn, readyMs: performance.now() - t0 };
    } catch {
      // not up yet (kubeconfig not written, connection refused)
    }
    await sleep(5);
  }
}

function deployment(name: string, replicas: number): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'busybox:1.36', command: ['httpd', '-f'] }] } },
    },
  };
}

/** A pod no scheduler picks (schedulerName `none`): it only loads the store and the list path. */
function parkedPod(i: number): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${i}`, labels: { app: 'bench', shard: String(i % 10) } },
    spec: { schedulerName: 'none', containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'], resources: { requests: { cpu: '10m' } } }] },
  };
}

async function pool<T>(n: number, width: number, fn: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function latencies(times: number, fn: () => Promise<void>): Promise<number[]> {
  const xs: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await fn();
    xs.push(performance.now() - t0);
  }
  return xs.sort((a, b) => a - b);
}

/** A bare node:https server (throw-away self-signed certificate) answering `body` to every request. */
async function bareServer(body: Buffer): Promise<{ conn: Conn; close(): void }> {
  const forge = (await import('node-forge')).default;
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: 'commonName', value: '127.0.0.1' }]);
  cert.setIssuer([{ name: 'commonName', value: '127.0.0.1' }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const server = createServer({ key: forge.pki.privateKeyToPem(keys.privateKey), cert: forge.pki.certificateToPem(cert) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    conn: { base: `https://127.0.0.1:${port}`, agent: new Agent({ keepAlive: true, rejectUnauthorized: false }) },
    close: () => server.close(),
  };
}

export async function kubeBench(o: { quick: boolean; root: string }): Promise<Figure[]> {
  const pods = o.quick ? 1000 : 5000;
  section(`Kubernetes (stratus kube up --nodes 2, fake runtime): start to Ready, 10-replica Deployment, list and watch with ${pods.toLocaleString('en-US')} pods`);
  const figures: Figure[] = [];
  const dataDir = tempDir('stratus-bench-kube-');
  const port = await freePort();

  const cold = await startKube(dataDir, o.root, 'kube-cold', port);
  await stopChild(cold.child);
  const warm = await startKube(dataDir, o.root, 'kube-warm', port);
  const { conn, child } = warm;
  try {
    figures.push({ name: 'kube up --nodes 2 to Ready (warm)', value: warm.readyMs, unit: 'ms', better: 'lower', target: 1000, note: `cold start (CA and keys generated): ${Math.round(cold.readyMs)} ms` });
    printFigure(figures.at(-1)!);

    const t0 = performance.now();
    const created = await call(conn, 'POST', '/apis/apps/v1/namespaces/default/deployments', deployment('web', 10));
    if (created.status !== 201) throw new Error(`deployment create answered ${created.status}`);
    for (;;) {
      const d = await call(conn, 'GET', '/apis/apps/v1/namespaces/default/deployments/web');
      if (d.json?.status?.readyReplicas === 10) break;
      if (performance.now() - t0 > 60_000) throw new Error('deployment not Ready after 60 s');
      await sleep(5);
    }
    figures.push({ name: '10-replica Deployment to all Ready', value: performance.now() - t0, unit: 'ms', better: 'lower', target: 2000 });
    printFigure(figures.at(-1)!);

    await sleep(1000);
    const rssSmall = rssMiB(child.pid!);
    figures.push({ name: 'kube process RSS (2 nodes, 10 pods)', value: rssSmall.mib, unit: 'MiB', better: 'lower', target: 150, note: 'API server, store, controllers, scheduler and both node agents in one process' });
    printFigure(figures.at(-1)!);

    await call(conn, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    const c0 = performance.now();
    await pool(pods, 8, async (i) => {
      const r = await call(conn, 'POST', '/api/v1/namespaces/bench/pods', parkedPod(i));
      if (r.status !== 201) throw new Error(`pod create answered ${r.status}: ${JSON.stringify(r.json)}`);
    });
    const createRate = pods / ((performance.now() - c0) / 1000);
    out(`  (created ${pods} pods at ${Math.round(createRate)}/s, 8 clients, each write fsync'd)`);

    let bytes = 0;
    const list = await latencies(o.quick ? 5 : 20, async () => {
      const r = await call(conn, 'GET', '/api/v1/namespaces/bench/pods');
      if (r.json?.items?.length !== pods) throw new Error(`list returned ${r.json?.items?.length} pods`);
      bytes = r.bytes;
    });
    const sample = await call(conn, 'GET', '/api/v1/namespaces/bench/pods');
    const bare = await bareServer(Buffer.from(JSON.stringify(sample.json)));
    const baseList = await latencies(o.quick ? 5 : 20, async () => {
      await call(bare.conn, 'GET', '/');
    });
    bare.close();
    const selected = await latencies(o.quick ? 5 : 20, async () => {
      await call(conn, 'GET', '/api/v1/namespaces/bench/pods?labelSelector=shard%3D3');
    });
    figures.push({
      name: `list ${pods.toLocaleString('en-US')} pods, p50`,
      value: percentileSorted(list, 50),
      unit: 'ms',
      better: 'lower',
      base: { name: 'bare node:https, same bytes', value: percentileSorted(baseList, 50) },
      note: `p99 ${percentileSorted(list, 99).toFixed(1)} ms; ${(bytes / 1048576).toFixed(1)} MiB; labelSelector (1/10 match) p50 ${percentileSorted(selected, 50).toFixed(1)} ms`,
    });
    printFigure(figures.at(-1)!);

    // Watch latency: one watcher on the namespace; each label patch's event timed from the write.
    const watchLat: number[] = [];
    const rv = String(sample.json.metadata.resourceVersion);
    const pending = new Map<string, number>();
    const url = new URL(`/api/v1/namespaces/bench/pods?watch=true&resourceVersion=${rv}`, conn.base);
    const watchReq = request(url, { agent: conn.agent, headers: { accept: 'application/json' } });
    let buf = '';
    const onEvent = (line: string) => {
      const ev = JSON.parse(line) as { type: string; object: { metadata: { name: string; labels?: Record<string, string> } } };
      const mark = ev.object.metadata.labels?.mark;
      if (ev.type === 'MODIFIED' && mark && pending.has(mark)) {
        watchLat.push(performance.now() - pending.get(mark)!);
        pending.delete(mark);
      }
    };
    await new Promise<void>((resolve, reject) => {
      watchReq.on('response', (res) => {
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line.trim()) onEvent(line);
          }
        });
        resolve();
      });
      watchReq.on('error', reject);
      watchReq.end();
    });
    const updates = o.quick ? 50 : 200;
    for (let i = 0; i < updates; i++) {
      const mark = `m${i}`;
      pending.set(mark, performance.now());
      const r = await new Promise<number>((resolve, reject) => {
        const body = Buffer.from(JSON.stringify({ metadata: { labels: { mark } } }));
        const req = request(new URL(`/api/v1/namespaces/bench/pods/p-${i}`, conn.base), { method: 'PATCH', agent: conn.agent, headers: { 'content-type': 'application/merge-patch+json', 'content-length': body.length } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
      if (r !== 200) throw new Error(`patch answered ${r}`);
      const t = performance.now();
      while (pending.has(mark) && performance.now() - t < 5000) await sleep(1);
    }
    watchReq.destroy();
    watchLat.sort((a, b) => a - b);
    figures.push({
      name: `watch event after a write, p50 (${pods.toLocaleString('en-US')} pods)`,
      value: percentileSorted(watchLat, 50),
      unit: 'ms',
      better: 'lower',
      note: `p99 ${percentileSorted(watchLat, 99).toFixed(1)} ms over ${watchLat.length} patches (time from sending the PATCH, incl. its fsync)`,
    });
    printFigure(figures.at(-1)!);

    await sleep(1000);
    const rss = rssMiB(child.pid!);
    figures.push({ name: `kube process RSS (${pods.toLocaleString('en-US')} pods, 2 nodes)`, value: rss.mib, unit: 'MiB', better: 'lower', note: 'after the list and watch runs: the index, the watch history ring (10,000 events) and V8 heap growth from serialising 5 MiB lists' });
    printFigure(figures.at(-1)!);
  } finally {
    await stopChild(child);
  }
  return figures;
}
