/**
 * Kubernetes on real nodes (issue #8), against a `stratus kube up --nodes 2` child run as root
 * (node network namespaces in an isolated underlay, crun pods, VXLAN overlay, nftables
 * kube-proxy), through the HTTPS API with the kubeconfig's client certificate:
 * - spawn to both nodes Ready, cold (fresh data dir) and warm (restart on the same dir);
 * - a 10-replica Deployment until all 10 pods are Ready;
 * - pod-to-pod TCP throughput across the overlay (nodes 1 -> 2), beside a raw veth pair;
 * - ClusterIP connection rate from a pod (4 loops of connect + HTTP/1.0 GET + close), beside
 *   the same client straight to a pod IP;
 * - RSS of the kube process: agents, API server, controllers, scheduler, proxies and DNS share
 *   it, so the per-node figure is a share of the process, not a separate agent.
 * Traffic ends run host Node binaries inside the pods' network namespaces (nsenter).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { cloudPrefix, nsName } from '../src/dataplane/names.js';
import { podNetnsName } from '../src/kube/net/plan.js';
import { downSync } from './dataplane.js';
import { fmt, out, printFigure, section, type Figure } from './report.js';
import { call, connFromKubeconfig, type Conn } from './kube.js';
import { ROOT } from './stratus.js';
import { freePort, inNs, isRoot, median, mustRun, onCleanup, ownRssMiB, removeDir, rssMiB, sleep, stopChild, tcpThroughput, tempDir, track, vethPair } from './util.js';

async function must(c: Conn, method: string, path: string, body?: unknown): Promise<any> {
  const r = await call(c, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
  return r.json;
}

interface Kube {
  child: ChildProcess;
  conn: Conn;
  readyMs: number;
}

async function startKube(dataDir: string, logFile: string): Promise<Kube> {
  const port = await freePort();
  const kubeconfig = join(dataDir, 'kubeconfig');
  const fd = openSync(logFile, 'w');
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'stratus.js'), 'kube', 'up', '--nodes', '2', '--port', String(port), '--data-dir', dataDir, '--kubeconfig', kubeconfig], { cwd: ROOT, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  track(child);
  let conn: Conn | undefined;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`stratus kube up exited (code ${child.exitCode}); ${logFile}:\n${readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n')}`);
    }
    if (performance.now() - t0 > 180_000) {
      await stopChild(child, 120_000);
      throw new Error(`nodes not Ready after 180 s; see ${logFile}`);
    }
    try {
      if (!conn && existsSync(kubeconfig)) conn = connFromKubeconfig(kubeconfig);
      if (conn) {
        const r = await call(conn, 'GET', '/api/v1/nodes');
        const items = (r.json?.items ?? []) as any[];
        if (items.filter((n) => (n.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True')).length >= 2) {
          return { child, conn, readyMs: performance.now() - t0 };
        }
      }
    } catch {
      conn = undefined; // kubeconfig half-written, or the server not listening yet
    }
    await sleep(5);
  }
}

type Pod = { metadata: { name: string; uid: string }; spec: { nodeName?: string }; status: { podIP?: string; conditions?: { type: string; status: string }[] } };
const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

function deployment(name: string, replicas: number, container: unknown): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { terminationGracePeriodSeconds: 0, containers: [container] } } },
  };
}

async function readyPods(c: Conn, app: string, n: number, timeoutMs: number): Promise<Pod[]> {
  const t0 = performance.now();
  for (;;) {
    const items = (await must(c, 'GET', `/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`)).items as Pod[];
    if (items.length === n && items.every(isReady)) return items;
    if (performance.now() - t0 > timeoutMs) throw new Error(`${n} pods of ${app} not Ready after ${timeoutMs / 1000} s (${items.filter(isReady).length} Ready)`);
    await sleep(5);
  }
}

/** 4 loops of connect, HTTP/1.0 GET, read to close, from `ns` to `ip:80` for `seconds`; completed connections per second. */
async function connRate(ns: string, ip: string, seconds: number): Promise<{ rate: number; errors: number }> {
  const src =
    `const net=require('net');let n=0,err=0;const end=Date.now()+${seconds * 1000};let live=4;` +
    `const one=()=>{if(Date.now()>end){if(--live===0)console.log(JSON.stringify({n,err}));return}const c=net.connect(80,'${ip}');` +
    `c.on('connect',()=>c.end('GET /index.html HTTP/1.0\\r\\n\\r\\n'));c.resume();c.on('error',()=>{});c.on('close',h=>{h?err++:n++;one()})};for(let i=0;i<4;i++)one()`;
  const r = JSON.parse((await mustRun(inNs(ns, [process.execPath, '-e', src]), (seconds + 30) * 1000)).trim()) as { n: number; err: number };
  return { rate: r.n / seconds, errors: r.err };
}

export async function kubeRealBench(o: { quick: boolean; root: string }): Promise<Figure[]> {
  const mb = o.quick ? 100 : 200;
  if (!isRoot()) {
    out('\n== kube-real skipped: needs root (real nodes are network namespaces, pods are crun containers); run: sudo npm run bench -- --only kube-real');
    return [];
  }
  section(`Kubernetes on real nodes (issue #8): stratus kube up --nodes 2 as root (crun pods, VXLAN overlay, nftables kube-proxy); ${mb} MiB pod to pod`);
  const figures: Figure[] = [];
  const dir = tempDir('stratus-bench-kr-');
  const dataDir = join(dir, 'kube');
  const prefix = cloudPrefix(dataDir);
  const offDown = onCleanup(() => void downSync(dataDir, true));
  let kube: Kube | undefined;
  let veth: { ipA: string; remove(): void } | undefined;
  try {
    const cold = await startKube(dataDir, join(o.root, 'kube-real-cold.log'));
    await stopChild(cold.child, 60_000);
    kube = await startKube(dataDir, join(o.root, 'kube-real-warm.log'));
    const c = kube.conn;
    figures.push({ name: 'real kube up --nodes 2 to Ready', value: kube.readyMs, unit: 'ms', better: 'lower', target: 3000, note: `warm start (same data dir); cold start (CA, keys, busybox image built): ${fmt(cold.readyMs, 'ms')}` });
    printFigure(figures.at(-1)!);

    const t0 = performance.now();
    await must(c, 'POST', '/apis/apps/v1/namespaces/default/deployments', deployment('ten', 10, { name: 's', image: 'busybox', command: ['sleep', '3600'] }));
    const ten = await readyPods(c, 'ten', 10, 120_000);
    figures.push({ name: '10 real pods to Ready', value: performance.now() - t0, unit: 'ms', better: 'lower', target: 5000, note: `POST of a 10-replica Deployment (busybox from the local registry) until all 10 pods are Ready; ${ten.filter((p) => p.spec.nodeName === 'node-1').length} on node-1, ${ten.filter((p) => p.spec.nodeName === 'node-2').length} on node-2` });
    printFigure(figures.at(-1)!);

    // Overlay throughput: a sink in a node-1 pod's namespace, the source in a node-2 pod's.
    const a = ten.find((p) => p.spec.nodeName === 'node-1');
    const b = ten.find((p) => p.spec.nodeName === 'node-2');
    if (!a || !b) throw new Error('the 10 pods are not spread over both nodes: no cross-node pair for the overlay figure');
    const nsA = podNetnsName(prefix, a.metadata.uid);
    const nsB = podNetnsName(prefix, b.metadata.uid);
    for (const ns of [nsA, nsB]) if (!existsSync(`/run/netns/${ns}`)) throw new Error(`pod namespace ${ns} not found: the pod network's naming changed?`);
    veth = await vethPair(nsName(prefix, 't', 'bench-va'), nsName(prefix, 't', 'bench-vb'));
    const reps = o.quick ? 1 : 3;
    const overlay: number[] = [];
    const raw: number[] = [];
    for (let i = 0; i < reps; i++) {
      overlay.push(await tcpThroughput(nsA, nsB, a.status.podIP!, mb));
      raw.push(await tcpThroughput(nsName(prefix, 't', 'bench-va'), nsName(prefix, 't', 'bench-vb'), veth.ipA, mb));
    }
    veth.remove();
    veth = undefined;
    const base = median(raw);
    figures.push({
      name: 'pod-to-pod TCP across the overlay',
      value: median(overlay),
      unit: 'Mbit/s',
      better: 'higher',
      target: base / 2,
      base: { name: 'raw veth pair', value: base },
      note: `target: 50% of the raw veth pair measured now; ${mb} MiB node-1 <- node-2 over VXLAN (MTU 1450), median of ${reps} (${overlay.map((x) => x.toFixed(0)).join(', ')} vs veth ${raw.map((x) => x.toFixed(0)).join(', ')})`,
    });
    printFigure(figures.at(-1)!);

    // ClusterIP connection rate: two busybox httpd pods behind a Service; the client in a node-2 pod.
    await must(c, 'POST', '/apis/apps/v1/namespaces/default/deployments', deployment('web', 2, {
      name: 'httpd',
      image: 'busybox',
      command: ['sh', '-c', 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www'],
      ports: [{ containerPort: 80 }],
      readinessProbe: { httpGet: { path: '/index.html', port: 80 }, periodSeconds: 1 },
    }));
    const svc = await must(c, 'POST', '/api/v1/namespaces/default/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80 }] } });
    const web = await readyPods(c, 'web', 2, 60_000);
    const clusterIP = String(svc.spec.clusterIP);
    // Wait until the Service answers from the client pod (endpoints reached kube-proxy's rules).
    const t1 = performance.now();
    while ((await connRate(nsB, clusterIP, 0.2)).rate === 0) {
      if (performance.now() - t1 > 30_000) throw new Error(`ClusterIP ${clusterIP} does not answer from pod ${b.metadata.name} after 30 s`);
      await sleep(200);
    }
    const secs = o.quick ? 2 : 5;
    const viaSvc = await connRate(nsB, clusterIP, secs);
    const direct = await connRate(nsB, web.find((p) => p.spec.nodeName === 'node-2')?.status.podIP ?? web[0]!.status.podIP!, secs);
    figures.push({
      name: 'ClusterIP connection rate',
      value: viaSvc.rate,
      unit: 'conn/s',
      better: 'higher',
      base: { name: 'same client to a pod IP', value: direct.rate },
      note: `4 loops of connect + HTTP/1.0 GET (busybox httpd forks per connection) + close, ${secs} s, from a node-2 pod to 2 endpoints (one per node); errors ${viaSvc.errors} / ${direct.errors}`,
    });
    printFigure(figures.at(-1)!);

    await sleep(1000);
    const own = ownRssMiB(kube.child.pid!);
    const tree = rssMiB(kube.child.pid!);
    figures.push({
      name: 'node agent RSS, per-node share',
      value: own / 2,
      unit: 'MiB',
      better: 'lower',
      note: `the agents share one process with the API server, controllers, scheduler, kube-proxies and DNS: process RSS ${fmt(own, 'MiB')} / 2 nodes, with 12 pods; the process tree (crun shims, DNS stubs, pod processes) ${fmt(tree.mib, 'MiB')} in ${tree.processes} processes`,
    });
    printFigure(figures.at(-1)!);
  } finally {
    veth?.remove();
    kube?.conn.agent.destroy();
    if (kube) await stopChild(kube.child, 120_000);
    const msg = downSync(dataDir, true);
    offDown();
    const left = readdirSync('/run/netns').filter((n) => n.startsWith(prefix));
    out(`  cleanup: ${msg.split('\n').pop()}${left.length ? `; LEFT: ${left.join(', ')}` : '; no namespace of the cluster is left'}`);
    removeDir(dir);
  }
  return figures;
}
