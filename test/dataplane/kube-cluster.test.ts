import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { hostRunner, inNetns, netnsPath } from '../../src/dataplane/exec.js';
import { findResource } from '../../src/kube/resources.js';
import { run } from '../support/proc.js';
import { kubeDataplaneSkipReason, startRealKube, until, type RealKube } from '../support/kube-dataplane.js';

// The 2-node cluster on the real data plane, driven by the real kubectl (issue #8 tests), plus
// the benchmarks (printed as `# bench:` lines). Root only; everything lives in an isolated
// underlay named after a temp data dir and is removed in t.after.

const skip = kubeDataplaneSkipReason();
const SLICES = findResource('discovery.k8s.io', 'v1', 'endpointslices')!;
const SERVICES = findResource('', 'v1', 'services')!;

const WEB = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: busybox
        command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && dd if=/dev/zero of=/www/big bs=1048576 count=20 2>/dev/null && exec httpd -f -p 80 -h /www"]
        ports: [{ containerPort: 80, name: http }]
        readinessProbe: { httpGet: { path: /index.html, port: 80 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  type: NodePort
  selector: { app: web }
  ports: [{ port: 80, targetPort: http, name: http }]
---
apiVersion: v1
kind: Pod
metadata: { name: client }
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: sh
    image: busybox
    command: ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done"]
`;

type Pod = { metadata: { name: string; uid: string }; spec: { nodeName?: string }; status: { podIP?: string; phase?: string; conditions?: { type: string; status: string }[] } };

async function pods(k: RealKube, selector: string): Promise<Pod[]> {
  return (JSON.parse(await k.ok(['get', 'pods', '-l', selector, '-o', 'json'])) as { items: Pod[] }).items;
}
const ready = (p: Pod) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** A node one-liner run inside a network namespace (the pod's network, host binaries). */
function nodeIn(netns: string, script: string, timeoutMs = 30_000) {
  const argv = inNetns(netns, [process.execPath, '-e', script]);
  return run(argv[0]!, argv.slice(1), { timeoutMs });
}

const SINK = `const s=require('net').createServer(c=>{let n=0;c.on('data',d=>n+=d.length);c.on('end',()=>{c.end(String(n));s.close()})}).listen(5201,()=>console.log('up'));`;
const SOURCE = (ip: string, mb: number) =>
  `const c=require('net').connect(5201,'${ip}');const b=Buffer.alloc(1<<16);let left=${mb}*16;const t0=process.hrtime.bigint();const w=()=>{while(left>0){left--;if(!c.write(b))return c.once('drain',w)}c.end()};c.on('connect',w);let r='';c.on('data',d=>r+=d);c.on('close',()=>{const s=Number(process.hrtime.bigint()-t0)/1e9;console.log(JSON.stringify({bytes:Number(r),s,mbit:Number(r)*8/s/1e6}))})`;

async function throughput(serverNs: string, clientNs: string, ip: string, mb = 200): Promise<number> {
  const argv = inNetns(serverNs, [process.execPath, '-e', SINK]);
  const { spawn } = await import('node:child_process');
  const srv = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => srv.stdout.once('data', () => r()));
  const out = await nodeIn(clientNs, SOURCE(ip, mb));
  await new Promise((r) => (srv.exitCode !== null ? r(null) : srv.once('exit', r)));
  const res = JSON.parse(out.stdout.trim()) as { bytes: number; mbit: number };
  assert.equal(res.bytes, mb * 1024 * 1024);
  return res.mbit;
}

test('kubernetes on real nodes: 2-node cluster driven by kubectl', { skip, timeout: 300_000 }, async (t) => {
  const t0 = performance.now();
  const k = await startRealKube(t);
  const nodesReady = await until(async () => {
    const nodes = JSON.parse(await k.ok(['get', 'nodes', '-o', 'json'])) as { items: { status: { conditions: { type: string; status: string }[]; addresses: { type: string; address: string }[] } }[] };
    return nodes.items.length === 2 && nodes.items.every((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True')) && nodes.items;
  }, 20_000, '2 Ready nodes');
  const upMs = performance.now() - t0;
  console.log(`# bench: kube up --nodes 2 (real nodes, in-process) to 2 Ready nodes: ${upMs.toFixed(0)} ms`);
  assert.deepEqual(nodesReady.map((n) => n.status.addresses.find((a) => a.type === 'InternalIP')?.address).sort(), ['10.41.0.1', '10.41.0.2']);
  if (k.cluster.runtime !== 'crun') {
    t.skip(`pods would run on the fake runtime: ${k.cluster.notes.join('; ')}`);
    return;
  }

  await k.apply(WEB);
  const web = await until(async () => {
    const ps = await pods(k, 'app=web');
    return ps.length === 2 && ps.every(ready) && ps;
  }, 60_000, 'two Ready web pods');
  const client = await until(async () => (await pods(k, 'run!=x')).find((p) => p.metadata.name === 'client' && p.status.phase === 'Running'), 30_000, 'client running');

  await t.test('the two web replicas are spread over both nodes', () => {
    assert.deepEqual(web.map((p) => p.spec.nodeName).sort(), ['node-1', 'node-2']);
  });

  await t.test('pod-to-pod traffic across nodes (VXLAN overlay)', async () => {
    const other = web.find((p) => p.spec.nodeName !== client.spec.nodeName)!;
    const out = await k.ok(['exec', 'client', '--', 'wget', '-q', '-O-', `http://${other.status.podIP}/index.html`]);
    assert.equal(out.trim(), other.metadata.name);
    const ping = await k.ok(['exec', 'client', '--', 'ping', '-c', '1', '-W', '2', other.status.podIP!]);
    assert.match(ping, /ttl=62/, 'two routed hops: source node, destination node');
  });

  await t.test('ClusterIP and its DNS name reached from a third pod', async () => {
    const svc = JSON.parse(await k.ok(['get', 'svc', 'web', '-o', 'json'])) as { spec: { clusterIP: string } };
    const ns = await k.ok(['exec', 'client', '--', 'nslookup', 'web.default.svc.cluster.local']);
    assert.ok(ns.includes(svc.spec.clusterIP), ns);
    const seen = new Set<string>();
    for (let i = 0; i < 12 && seen.size < 2; i++) {
      seen.add((await k.ok(['exec', 'client', '--', 'wget', '-q', '-O-', 'http://web.default.svc.cluster.local/index.html'])).trim());
    }
    assert.deepEqual([...seen].sort(), web.map((p) => p.metadata.name).sort(), 'both endpoints answer through the ClusterIP');
    // Short name through the search path.
    assert.ok(web.map((p) => p.metadata.name).includes((await k.ok(['exec', 'client', '--', 'wget', '-q', '-O-', 'http://web/index.html'])).trim()));
  });

  await t.test('NodePort on each node address, through stratus netns exec', async () => {
    const svc = JSON.parse(await k.ok(['get', 'svc', 'web', '-o', 'json'])) as { spec: { ports: { nodePort: number }[] } };
    const np = svc.spec.ports[0]!.nodePort;
    for (const addr of ['10.41.0.1', '10.41.0.2']) {
      const r = await k.netnsExec(['curl', '-sf', '-m', '5', `http://${addr}:${np}/index.html`]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(web.map((p) => p.metadata.name).includes(r.stdout.trim()), r.stdout);
    }
  });

  await t.test('kubectl port-forward with curl, including a 20 MB transfer', async () => {
    const pf = k.spawn(['port-forward', `pod/${web[0]!.metadata.name}`, ':80']);
    const line = await pf.waitFor(/Forwarding from 127\.0\.0\.1:\d+/);
    const port = line.split(':').pop()!;
    const small = await run('curl', ['-sf', '-m', '10', `http://127.0.0.1:${port}/index.html`]);
    assert.equal(small.stdout.trim(), web[0]!.metadata.name);
    const t1 = performance.now();
    const big = await run('curl', ['-sf', '-m', '60', '-o', '/dev/null', '-w', '%{size_download}', `http://127.0.0.1:${port}/big`]);
    assert.equal(big.stdout, String(20 * 1024 * 1024), big.stderr);
    console.log(`# bench: port-forward 20 MiB in ${(performance.now() - t1).toFixed(0)} ms`);
    await pf.kill();
  });

  await t.test('kubectl exec with stdin and an exit code', async () => {
    const r = await k.kubectl(['exec', '-i', 'client', '--', 'sh', '-c', 'cat; exit 3'], { stdin: 'hello from stdin\n' });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'hello from stdin\n');
  });

  await t.test('kubectl logs -f follows new lines', async () => {
    const lf = k.spawn(['logs', '-f', 'client']);
    const first = Number((await lf.waitFor(/tick \d+/)).split(' ')[1]);
    await lf.waitFor(new RegExp(`tick ${first + 3}\\b`), 10_000);
    await lf.kill();
  });

  await t.test('kube-proxy rewrites the rules within 1 s of an endpoint change', async () => {
    const api = k.cluster.api;
    await api.create(SERVICES, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'manual' }, spec: { ports: [{ name: 'p', port: 8080, protocol: 'TCP' }] } });
    const node1 = k.cluster.real!.nodes[0]!.plan.netns;
    const nft = async () => (await run('nsenter', [`--net=${netnsPath(node1)}`, '--', 'nft', 'list', 'table', 'ip', 'kube-proxy'])).stdout;
    const lat: number[] = [];
    for (const [i, ip] of ['10.42.1.201', '10.42.2.202', '10.42.1.203'].entries()) {
      const t1 = performance.now();
      const slice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'manual-x', labels: { 'kubernetes.io/service-name': 'manual' } }, addressType: 'IPv4', endpoints: [{ addresses: [ip], conditions: { ready: true } }], ports: [{ name: 'p', port: 8080, protocol: 'TCP' }] };
      if (i === 0) await api.create(SLICES, 'default', slice);
      else await api.update(SLICES, 'default', 'manual-x', { ...slice, metadata: { ...slice.metadata, resourceVersion: (await api.get(SLICES, 'default', 'manual-x')).metadata.resourceVersion } });
      await until(async () => (await nft()).includes(`dnat to ${ip}:8080`), 1_000, `rule for ${ip} within 1 s`);
      lat.push(performance.now() - t1);
    }
    console.log(`# bench: endpoint change -> nft rule visible (incl. nft list polling): ${lat.map((x) => x.toFixed(0)).join(', ')} ms`);
    await api.delete(SERVICES, 'default', 'manual');
  });

  await t.test('a failing readiness probe removes the pod from the endpoints', async () => {
    const victim = web[0]!;
    await k.ok(['exec', victim.metadata.name, '--', 'rm', '/www/index.html']);
    await until(async () => {
      const ep = JSON.parse(await k.ok(['get', 'endpoints', 'web', '-o', 'json'])) as { subsets?: { addresses?: { ip: string }[] }[] };
      const ips = (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip));
      return ips.length === 1 && !ips.includes(victim.status.podIP!);
    }, 15_000, 'the unready pod to leave the endpoints');
    const node1 = k.cluster.real!.nodes[0]!.plan.netns;
    await until(async () => !(await run('nsenter', [`--net=${netnsPath(node1)}`, '--', 'nft', 'list', 'table', 'ip', 'kube-proxy'])).stdout.includes(`dnat to ${victim.status.podIP}:80`), 2_000, 'the rule to go');
    await k.ok(['exec', victim.metadata.name, '--', 'sh', '-c', 'hostname > /www/index.html']);
  });

  await t.test('benchmarks: overlay vs veth throughput, ClusterIP connection rate, 10 pods to Ready, RSS', async () => {
    const byNode = (n: string) => web.find((p) => p.spec.nodeName === n)!;
    const nsOf = (p: Pod) => k.cluster.real!.nodes[0]!.network.netnsName(p.metadata.uid);
    const a = byNode('node-1');
    const b = byNode('node-2');
    const overlay = await throughput(nsOf(a), nsOf(b), a.status.podIP!);
    // Baseline: a raw veth pair between two namespaces of the same underlay, same run.
    const pfx = k.cluster.real!.underlay;
    const [va, vb] = [`${pfx}-t-va`, `${pfx}-t-vb`];
    await hostRunner.run({ argv: ['ip', 'netns', 'add', va] });
    await hostRunner.run({ argv: ['ip', 'netns', 'add', vb] });
    await hostRunner.run({ argv: ['ip', '-n', va, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', vb] });
    await hostRunner.run({ argv: ['ip', '-n', va, '-batch', '-'], input: 'link set lo up\nlink set eth0 up\naddr add 192.168.250.1/24 dev eth0\n' });
    await hostRunner.run({ argv: ['ip', '-n', vb, '-batch', '-'], input: 'link set lo up\nlink set eth0 up\naddr add 192.168.250.2/24 dev eth0\n' });
    const veth = await throughput(va, vb, '192.168.250.1');
    await hostRunner.run({ argv: ['ip', 'netns', 'del', va], mayFail: true });
    await hostRunner.run({ argv: ['ip', 'netns', 'del', vb], mayFail: true });
    console.log(`# bench: pod-to-pod TCP across the overlay ${overlay.toFixed(0)} Mbit/s vs raw veth ${veth.toFixed(0)} Mbit/s (${((overlay / veth) * 100).toFixed(0)}%)`);
    assert.ok(overlay > 0 && veth > 0);

    const svc = JSON.parse(await k.ok(['get', 'svc', 'web', '-o', 'json'])) as { spec: { clusterIP: string } };
    const rate = await nodeIn(
      nsOf(b),
      `const net=require('net');let n=0,err=0;const end=Date.now()+2000;const one=()=>{if(Date.now()>end){console.log(JSON.stringify({n,err}));return}const c=net.connect(80,'${svc.spec.clusterIP}');c.on('connect',()=>c.end('GET /index.html HTTP/1.0\\r\\n\\r\\n'));c.resume();c.on('close',h=>{h?err++:n++;one()});c.on('error',()=>{})};one()`,
    );
    const r = JSON.parse(rate.stdout.trim()) as { n: number; err: number };
    console.log(`# bench: ClusterIP sequential HTTP connections: ${(r.n / 2).toFixed(0)}/s (${r.err} errors)`);
    assert.ok(r.n > 0);

    const t1 = performance.now();
    await k.apply(`apiVersion: apps/v1
kind: Deployment
metadata: { name: ten }
spec:
  replicas: 10
  selector: { matchLabels: { app: ten } }
  template:
    metadata: { labels: { app: ten } }
    spec:
      terminationGracePeriodSeconds: 0
      containers: [{ name: s, image: busybox, command: ["sleep", "3600"] }]
`);
    await until(async () => {
      const ps = await pods(k, 'app=ten');
      return ps.length === 10 && ps.every(ready);
    }, 60_000, '10 Ready pods');
    console.log(`# bench: 10 pods to Ready: ${(performance.now() - t1).toFixed(0)} ms`);
    const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    console.log(`# bench: RSS of the whole in-process cluster (API server, controllers, 2 agents, proxies, DNS, registry) with 13 pods: ${(rssOf(process.pid) / 1024).toFixed(0)} MiB`);
    await k.ok(['delete', 'deployment', 'ten', '--wait=false']);
  });

  await t.test('deleting a pod replaces it', async () => {
    const victim = web[0]!;
    await k.ok(['delete', 'pod', victim.metadata.name, '--wait=false']);
    await until(async () => {
      const ps = await pods(k, 'app=web');
      return ps.filter((p) => p.metadata.name !== victim.metadata.name && ready(p)).length === 2;
    }, 40_000, 'a Ready replacement');
  });

  await t.test('stopping a node agent makes the node NotReady and its pods move', async () => {
    const before = await pods(k, 'app=web');
    const onNode2 = before.filter((p) => p.spec.nodeName === 'node-2').map((p) => p.metadata.name);
    await k.cluster.stopNodeAgent('node-2');
    await until(async () => /node-2\s+NotReady/.test(await k.ok(['get', 'nodes'])), 20_000, 'node-2 NotReady');
    await until(async () => {
      const ps = await pods(k, 'app=web');
      const live = ps.filter((p) => !onNode2.includes(p.metadata.name) && p.spec.nodeName === 'node-1' && ready(p));
      return live.length === 2;
    }, 60_000, 'web pods rescheduled on node-1');
  });
});
