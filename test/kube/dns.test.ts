import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { bootstrapCluster, openRegistry, type Registry } from '../../src/kube/apiserver/registry.js';
import { startControllers } from '../../src/kube/controllers/index.js';
import { R } from '../../src/kube/controllers/objects.js';
import { eventually, runPod } from '../../src/kube/controllers/testing.js';
import { buildQuery, dnsQuery, exchange, type DnsTarget } from '../../src/kube/dns/client.js';
import { frame, FrameReader } from '../../src/kube/dns/framing.js';
import { startClusterDns } from '../../src/kube/dns/server.js';
import { startStub, stubCommand } from '../../src/kube/dns/stub.js';
import { decodeMessage, encodeMessage, RCODE, type DnsMessage } from '../../src/kube/dns/wire.js';
import type { KubeObject } from '../../src/kube/types.js';

type Json = Record<string, any>;
const execFileP = promisify(execFile);

async function cluster(t: TestContext, opts: { controllers?: boolean } = {}): Promise<{ api: Registry; socketPath: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'stratus-dns-'));
  const api = await openRegistry({ dataDir: ':memory:' });
  await bootstrapCluster(api, { apiServerIp: '127.0.0.1', apiServerPort: 6443 });
  const controllers = opts.controllers === false ? undefined : startControllers(api);
  t.after(async () => {
    await controllers?.stop();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { api, socketPath: join(dir, 'dns.sock'), dir };
}

function pod(name: string, labels: Record<string, string>, extra: Json = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'pg', containerPort: 5432 }] }], ...extra } };
}

const addrs = (m: DnsMessage) => m.answers.filter((a) => a.type === 'A').map((a) => a.data as string).sort();

test('cluster DNS through the stub: services, headless endpoints, SRV, pods, PTR, NXDOMAIN, updates within 1 s', async (t) => {
  const { api, socketPath } = await cluster(t);
  const web = await api.create(R.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] } });
  const webIp = (web.spec as Json).clusterIP as string;
  await api.create(R.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, targetPort: 'pg' }] } });
  const ips: string[] = [];
  for (const name of ['db-0', 'db-1']) {
    const p = await api.create(R.pods, 'default', pod(name, { app: 'db' }, { hostname: name, subdomain: 'db' }));
    const running = await runPod(api, p);
    ips.push((running!.status as Json).podIP);
  }

  const dns = await startClusterDns(api, { socketPath });
  t.after(() => dns.close());
  const stub = await startStub({ listen: '127.0.0.1:0', socketPath, timeoutMs: 1000 });
  t.after(() => stub.close());
  const udp: DnsTarget = { transport: 'udp', host: '127.0.0.1', port: stub.port };
  const tcp: DnsTarget = { transport: 'tcp', host: '127.0.0.1', port: stub.port };
  const q = (name: string, type: Parameters<typeof dnsQuery>[2], target: DnsTarget = udp) => dnsQuery(target, name, type, { timeoutMs: 1500 });

  const a = await q('web.default.svc.cluster.local', 'A');
  assert.equal(a.rcode, RCODE.NOERROR);
  assert.equal(a.aa, true);
  assert.deepEqual(addrs(a), [webIp]);
  assert.equal(a.answers[0]!.ttl, 5);
  assert.deepEqual(addrs(await q('kubernetes.default.svc.cluster.local', 'A', tcp)), ['10.43.0.1']);
  assert.deepEqual((await q('_http._tcp.web.default.svc.cluster.local', 'SRV')).answers.map((r) => r.data), [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]);

  // Headless: one A per ready endpoint, and per-endpoint hostnames (from the endpoints controller).
  await eventually(async () => JSON.stringify(addrs(await q('db.default.svc.cluster.local', 'A'))) === JSON.stringify([...ips].sort()), 3000, 'headless A records');
  assert.deepEqual(addrs(await q('db-0.db.default.svc.cluster.local', 'A')), [ips[0]]);
  const srv = await q('_pg._tcp.db.default.svc.cluster.local', 'SRV');
  assert.deepEqual(srv.answers.map((r) => (r.data as Json).target).sort(), ['db-0.db.default.svc.cluster.local', 'db-1.db.default.svc.cluster.local']);
  assert.deepEqual(srv.answers.map((r) => (r.data as Json).port), [5432, 5432]);
  assert.equal(srv.additionals.length, 2);

  // Pod A records and PTRs.
  const dashed = ips[1]!.replace(/\./g, '-');
  assert.deepEqual(addrs(await q(`${dashed}.default.pod.cluster.local`, 'A')), [ips[1]]);
  const rev = (ip: string) => `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  assert.deepEqual((await q(rev(webIp), 'PTR')).answers.map((r) => r.data), ['web.default.svc.cluster.local']);
  assert.deepEqual((await q(rev(ips[0]!), 'PTR')).answers.map((r) => r.data), ['db-0.db.default.svc.cluster.local']);
  assert.deepEqual((await q('dns-version.cluster.local', 'TXT')).answers.map((r) => r.data), [['1.1.0']]);

  // NODATA vs NXDOMAIN; search-path expansions and outside names (offline) fail fast.
  const nodata = await q('web.default.svc.cluster.local', 'AAAA');
  assert.equal(nodata.rcode, RCODE.NOERROR);
  assert.equal(nodata.answers.length, 0);
  assert.equal(nodata.authorities[0]?.type, 'SOA');
  for (const name of ['nope.default.svc.cluster.local', 'web.default.svc.cluster.local.default.svc.cluster.local', 'web.default.svc.cluster.local.svc.cluster.local', 'deb.debian.org']) {
    const began = process.hrtime.bigint();
    const m = await q(name, 'A');
    assert.equal(m.rcode, RCODE.NXDOMAIN, name);
    assert.ok(Number(process.hrtime.bigint() - began) / 1e6 < 100, `${name} answered slowly`);
  }

  // Changes show within 1 s: a new service, a deleted one, a pod turning unready.
  let began = Date.now();
  const late = await api.create(R.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'late' }, spec: { ports: [{ port: 81 }] } });
  await eventually(async () => addrs(await q('late.default.svc.cluster.local', 'A'))[0] === (late.spec as Json).clusterIP, 1000, 'new service in DNS');
  const addMs = Date.now() - began;
  began = Date.now();
  await api.delete(R.services, 'default', 'late');
  await eventually(async () => (await q('late.default.svc.cluster.local', 'A')).rcode === RCODE.NXDOMAIN, 1000, 'deleted service gone from DNS');
  const delMs = Date.now() - began;
  began = Date.now();
  await runPod(api, await api.get(R.pods, 'default', 'db-1'), false);
  await eventually(async () => JSON.stringify(addrs(await q('db.default.svc.cluster.local', 'A'))) === JSON.stringify([ips[0]]), 1000, 'unready endpoint gone from DNS');
  const unreadyMs = Date.now() - began;
  t.diagnostic(`visible in DNS after: service created ${addMs} ms, deleted ${delMs} ms, endpoint unready ${unreadyMs} ms`);

  // Answer latency through the stub (sequential UDP queries).
  for (const [label, target] of [
    ['stub UDP', udp],
    ['stub TCP', tcp],
    ['unix socket', { transport: 'unix', path: socketPath } as DnsTarget],
  ] as const) {
    const times: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t0 = process.hrtime.bigint();
      const m = await q(i % 2 ? 'web.default.svc.cluster.local' : '_pg._tcp.db.default.svc.cluster.local', i % 2 ? 'A' : 'SRV', target);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      assert.equal(m.rcode, RCODE.NOERROR);
    }
    times.sort((x, y) => x - y);
    t.diagnostic(`${label} latency over 300 queries (new client socket each): p50 ${times[150]!.toFixed(3)} ms, p99 ${times[297]!.toFixed(3)} ms`);
  }
});

test('stub: UDP answers over 512 bytes are truncated without EDNS; TCP and EDNS get them whole', async (t) => {
  const { api, socketPath } = await cluster(t, { controllers: false });
  await api.create(R.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'big' }, spec: { clusterIP: 'None', ports: [{ name: 'p', port: 1 }] } });
  const endpoints = Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.44.0.${i + 1}`], conditions: { ready: true } }));
  await api.create(R.endpointslices, 'default', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'big-1', labels: { 'kubernetes.io/service-name': 'big' } },
    addressType: 'IPv4',
    endpoints,
    ports: [{ name: 'p', port: 1, protocol: 'TCP' }],
  });
  const dns = await startClusterDns(api, { socketPath });
  t.after(() => dns.close());
  const stub = await startStub({ listen: '127.0.0.1:0', socketPath });
  t.after(() => stub.close());
  const udp: DnsTarget = { transport: 'udp', host: '127.0.0.1', port: stub.port };
  const plain = await dnsQuery(udp, 'big.default.svc.cluster.local', 'A');
  assert.equal(plain.tc, true);
  assert.equal(plain.answers.length, 0);
  assert.equal(plain.questions[0]?.name, 'big.default.svc.cluster.local');
  const viaTcp = await dnsQuery({ transport: 'tcp', host: '127.0.0.1', port: stub.port }, 'big.default.svc.cluster.local', 'A');
  assert.equal(viaTcp.tc, false);
  assert.equal(viaTcp.answers.length, 60);
  const edns = await dnsQuery(udp, 'big.default.svc.cluster.local', 'A', { edns: 4096 });
  assert.equal(edns.tc, false);
  assert.equal(edns.answers.length, 60);
  assert.equal(edns.edns?.udpSize, 1232);
  assert.equal(stub.stats.truncated, 1);
});

test('server: garbage on the socket gets FORMERR and the connection keeps working; a second server on a live socket is refused', async (t) => {
  const { api, socketPath } = await cluster(t, { controllers: false });
  const dns = await startClusterDns(api, { socketPath });
  t.after(() => dns.close());
  await assert.rejects(startClusterDns(api, { socketPath }), /already listens/);
  const sock = connect(socketPath);
  t.after(() => sock.destroy());
  const reader = new FrameReader();
  const answers: Buffer[] = [];
  sock.on('data', (c: Buffer) => answers.push(...reader.push(c)));
  await new Promise((r) => sock.once('connect', r));
  for (let i = 0; i < 2000; i++) {
    const len = Math.floor(Math.random() * 40);
    const junk = Buffer.from(Array.from({ length: len }, () => Math.floor(Math.random() * 256)));
    if (len >= 12) junk[2] = junk[2]! & 0x7f; // a query, not a response: those are answered
    sock.write(frame(junk));
  }
  sock.write(frame(encodeMessage(buildQuery('kubernetes.default.svc.cluster.local', 'A', { id: 4242 }))));
  const good = await eventually(async () => answers.map((b) => decodeMessage(b)).find((m) => m.id === 4242), 3000, 'answer after junk');
  assert.deepEqual(good.answers.map((r) => r.data), ['10.43.0.1']);
  assert.ok(answers.length > 100, `answers to junk: ${answers.length}`);
  for (const b of answers) assert.equal(decodeMessage(b).qr, true);
  assert.equal(dns.zone.stats.failures, 0);
});

test('stub: SERVFAIL while the server is down, reconnects when it comes back', async (t) => {
  const { api, socketPath } = await cluster(t, { controllers: false });
  const stub = await startStub({ listen: '127.0.0.1:0', socketPath, timeoutMs: 300 });
  t.after(() => stub.close());
  const udp: DnsTarget = { transport: 'udp', host: '127.0.0.1', port: stub.port };
  const down = await dnsQuery(udp, 'kubernetes.default.svc.cluster.local', 'A', { timeoutMs: 2000 });
  assert.equal(down.rcode, RCODE.SERVFAIL);
  let dns = await startClusterDns(api, { socketPath });
  await eventually(async () => (await dnsQuery(udp, 'kubernetes.default.svc.cluster.local', 'A')).rcode === RCODE.NOERROR, 3000, 'stub connected');
  await dns.close();
  dns = await startClusterDns(api, { socketPath });
  t.after(() => dns.close());
  await eventually(async () => (await dnsQuery(udp, 'kubernetes.default.svc.cluster.local', 'A')).answers.length === 1, 3000, 'stub reconnected');
  assert.ok(stub.upstream.stats.connects >= 2);
});

test('stub process: stubCommand runs it, it answers, exits 0 on SIGTERM', async (t) => {
  const { api, socketPath } = await cluster(t, { controllers: false });
  const dns = await startClusterDns(api, { socketPath });
  t.after(() => dns.close());
  const cmd = stubCommand({ listen: '127.0.0.1:0', socketPath });
  assert.equal(cmd.command, process.execPath);
  assert.match(cmd.args[0]!, /dist\/src\/kube\/dns\/stub\.js$/);
  const child = spawn(cmd.command, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`stub exited ${code}`)));
  });
  const port = Number(/^listening on 127\.0\.0\.1:(\d+)$/.exec(line)?.[1]);
  assert.ok(port > 0, line);
  const m = decodeMessage(await exchange({ transport: 'udp', host: '127.0.0.1', port }, encodeMessage(buildQuery('kube-dns.kube-system.svc.cluster.local', 'A'))));
  assert.deepEqual(m.answers.map((r) => r.data), ['10.43.0.10']);
  const times: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = process.hrtime.bigint();
    const a = await dnsQuery({ transport: 'udp', host: '127.0.0.1', port }, 'kubernetes.default.svc.cluster.local', 'A');
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    assert.equal(a.answers.length, 1);
  }
  times.sort((x, y) => x - y);
  t.diagnostic(`stub process → unix socket → server, UDP, 300 queries: p50 ${times[150]!.toFixed(3)} ms, p99 ${times[297]!.toFixed(3)} ms`);
  child.kill('SIGTERM');
  assert.equal(await exited, 0);

  const bad = spawn(process.execPath, [cmd.args[0]!, '--listen', 'nowhere'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  bad.stderr!.on('data', (c) => (err += c));
  assert.equal(await new Promise((r) => bad.once('exit', r)), 2);
  assert.match(err, /--socket are required|want <ipv4>:<port>/);
});

const hasBusybox = spawnSync('busybox', ['nslookup'], { stdio: 'ignore' }).error === undefined;

test('busybox nslookup (the pods\' client) reads our answers', { skip: hasBusybox ? false : 'busybox not installed' }, async (t) => {
  const { api, socketPath } = await cluster(t, { controllers: false });
  const dns = await startClusterDns(api, { socketPath });
  t.after(() => dns.close());
  const stub = await startStub({ listen: '127.0.0.1:0', socketPath });
  t.after(() => stub.close());
  const server = `127.0.0.1:${stub.port}`;
  const run = async (...args: string[]) => execFileP('busybox', ['nslookup', ...args, server], { timeout: 5000 }).then((r) => ({ code: 0, out: r.stdout }), (e) => ({ code: e.code as number, out: String(e.stdout) }));
  const a = await run('kubernetes.default.svc.cluster.local');
  assert.equal(a.code, 0);
  assert.match(a.out, /Name:\s+kubernetes\.default\.svc\.cluster\.local\nAddress: 10\.43\.0\.1/);
  assert.match((await run('-type=srv', '_dns._udp.kube-dns.kube-system.svc.cluster.local')).out, /service = 0 100 53 kube-dns\.kube-system\.svc\.cluster\.local/);
  assert.match((await run('-type=ptr', '10.0.43.10.in-addr.arpa')).out, /name = kube-dns\.kube-system\.svc\.cluster\.local/);
  assert.match((await run('-type=txt', 'dns-version.cluster.local')).out, /text = "1\.1\.0"/);
  const nx = await run('deb.debian.org');
  assert.notEqual(nx.code, 0);
  assert.match(nx.out, /can't find deb\.debian\.org: NXDOMAIN/);
});

test('glibc resolver with the pod search path and ndots:5, in a private net+mount namespace', { skip: process.getuid?.() === 0 ? false : 'needs root (unshare)' }, async (t) => {
  const { api, socketPath, dir } = await cluster(t, { controllers: false });
  await api.create(R.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } });
  const webIp = ((await api.get(R.services, 'default', 'web')).spec as Json).clusterIP as string;
  const dns = await startClusterDns(api, { socketPath });
  t.after(() => dns.close());
  const resolv = join(dir, 'resolv.conf');
  await writeFile(resolv, 'nameserver 127.0.0.1\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 timeout:1 attempts:1\n');
  const stub = stubCommand({ listen: '127.0.0.1:53', socketPath });
  // Everything below lives in namespaces that die with this process tree (a pid namespace too,
  // so the stub dies with the shell even if the test times out): loopback and a veth inside.
  const script = [
    'set -u',
    'ip link set lo up',
    // glibc's AI_ADDRCONFIG ignores loopback: give the namespace an interface, as a pod has
    // (a veth pair with both ends inside; this kernel has no dummy links).
    'ip link add eth0 type veth peer name eth1 && ip addr add 10.99.0.2/24 dev eth0 && ip link set eth0 up && ip link set eth1 up',
    `mount --bind ${resolv} /etc/resolv.conf`,
    `${[stub.command, ...stub.args].map((a) => `'${a}'`).join(' ')} > ${dir}/stub.out 2>&1 &`,
    'pid=$!',
    `for i in $(seq 100); do grep -q listening ${dir}/stub.out && break; sleep 0.05; done`,
    'for n in web web.default web.default.svc kubernetes.default.svc.cluster.local deb.debian.org; do',
    '  s=$(date +%s%N); out=$(getent ahostsv4 $n | head -1); rc=$?; e=$(date +%s%N)',
    '  echo "$n|$(echo $out | cut -d" " -f1)|$(( (e - s) / 1000000 ))"',
    'done',
    `kill $pid; wait $pid`,
  ].join('\n');
  const { stdout } = await execFileP('unshare', ['--mount', '--net', '--pid', '--mount-proc', '--fork', '--kill-child', 'sh', '-c', script], { timeout: 20_000 });
  const rows = new Map(
    stdout
      .trim()
      .split('\n')
      .map((l) => {
        const [n, ip, ms] = l.split('|');
        return [n!, { ip, ms: Number(ms) }];
      }),
  );
  assert.equal(rows.get('web')?.ip, webIp);
  assert.equal(rows.get('web.default')?.ip, webIp);
  assert.equal(rows.get('web.default.svc')?.ip, webIp);
  assert.equal(rows.get('kubernetes.default.svc.cluster.local')?.ip, '10.43.0.1');
  assert.equal(rows.get('deb.debian.org')?.ip, '', 'outside names do not resolve (offline)');
  t.diagnostic(`glibc getent ahostsv4 through the search path (ms): ${[...rows].map(([n, r]) => `${n} ${r.ms}`).join(', ')}`);
  for (const [n, r] of rows) assert.ok(r.ms < 500, `${n} took ${r.ms} ms`);
});
