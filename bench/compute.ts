/**
 * Compute (Nova, fake hypervisor), issue #5: POST /servers to ACTIVE (p50/p99, one at a time),
 * a batch created concurrently, GET /servers/detail latency and control-plane RSS with many servers.
 */
import { uploadImage } from './images.js';
import { Api, MiB, type DataOptions } from './objects.js';
import { concurrently, listLatency, makeNetwork, NET } from './network.js';
import { fmt, out, printFigure, section, type Figure } from './report.js';
import type { RunningStratus } from './stratus.js';
import { percentileSorted, rssMiB, sleep } from './util.js';

const NOVA = '/compute/v2.1';

/** POST /servers, then GET /servers/{id} every ~5 ms until ACTIVE; milliseconds from POST to ACTIVE. */
async function bootOne(api: Api, name: string, imageRef: string, net: string): Promise<number> {
  const t0 = performance.now();
  const r = await api.must('POST', `${NOVA}/servers`, { server: { name, imageRef, flavorRef: '42', networks: [{ uuid: net }] } }, [202]);
  const id = String(r.json.server.id);
  for (;;) {
    const g = await api.must('GET', `${NOVA}/servers/${id}`, undefined, [200]);
    const st = String(g.json.server.status);
    if (st === 'ACTIVE') return performance.now() - t0;
    if (st === 'ERROR') throw new Error(`server ${name} went to ERROR: ${JSON.stringify(g.json.server.fault ?? {})}`);
    if (performance.now() - t0 > 60_000) throw new Error(`server ${name} not ACTIVE after 60 s (status ${st})`);
    await sleep(5);
  }
}

export async function computeBench(s: RunningStratus, api: Api, project: string, o: DataOptions): Promise<Figure[]> {
  const seq = o.quick ? 20 : 100;
  const par = o.quick ? 20 : 100;
  const total = o.quick ? 200 : 1000;
  section(`Compute (Nova, fake driver): ${seq} servers one at a time, ${par} concurrently, list with ${total}${o.quick ? ' (--quick: 20/20/200 instead of 100/100/1,000)' : ''}`);
  await api.must('PUT', `${NOVA}/os-quota-sets/${project}`, { quota_set: { instances: 2000, cores: 4000, ram: 10_000_000 } }, [200]);
  await api.must('PUT', `${NET}/quotas/${project}`, { quota: { port: -1 } }, [200]);
  const image = (await uploadImage(api, 'bench-boot', MiB, 'public')).id;
  const flavor = await api.must('GET', `${NOVA}/flavors/42`, undefined, [200]);
  const priv = (await api.must('GET', `${NET}/networks?name=private`)).json.networks as { id: string }[];
  // The default `private` network is a /26 (~60 addresses): too small, so the servers go on a /20.
  const net = await makeNetwork(api, 'bench-servers', '10.88.0.0/20');
  out(`  flavor ${flavor.json.flavor.name} (id 42), 1 MiB public raw image, \`private\` network ${priv.length ? 'found' : 'NOT found'} (a /26: servers go on a /20 of our own)`);
  const rss0 = rssMiB(s.pid).mib;

  const one: number[] = [];
  for (let i = 0; i < seq; i++) one.push(await bootOne(api, `seq-${i}`, image, net));
  one.sort((a, b) => a - b);

  const t0 = performance.now();
  const many = await Promise.all(Array.from({ length: par }, (_, i) => bootOne(api, `par-${i}`, image, net)));
  const allMs = performance.now() - t0;
  many.sort((a, b) => a - b);

  const fill = total - seq - par;
  const tf = performance.now();
  await concurrently(fill, 8, async (i) => void (await bootOne(api, `fill-${i}`, image, net)));
  const fillRate = fill / ((performance.now() - tf) / 1000);
  const l = await listLatency(api, `${NOVA}/servers/detail?limit=${total}`, 'servers', o.quick ? 10 : 20);
  if (l.count !== total) out(`      ! GET /servers/detail returned ${l.count} servers, expected ${total}`);
  const rss = rssMiB(s.pid).mib;

  const figures: Figure[] = [
    { name: 'server create to ACTIVE p50', value: percentileSorted(one, 50), unit: 'ms', better: 'lower', target: 100, note: `${seq} servers one at a time: POST /servers, then GET every ~5 ms until ACTIVE (m1.nano, fake driver)` },
    { name: 'server create to ACTIVE p99', value: percentileSorted(one, 99), unit: 'ms', better: 'lower', target: 100, note: `max ${fmt(one[one.length - 1]!, 'ms')}` },
    { name: `${par} servers concurrently, all ACTIVE`, value: allMs, unit: 'ms', better: 'lower', note: `${fmt(par / (allMs / 1000), 'servers/s')}; per server p50 ${fmt(percentileSorted(many, 50), 'ms')}, p99 ${fmt(percentileSorted(many, 99), 'ms')}` },
    { name: `GET /servers/detail (${l.count}) p50`, value: l.p50, unit: 'ms', better: 'lower', target: 50, note: `${(l.bytes / 1024).toFixed(0)} KiB of JSON; the other ${fill} servers created 8 at a time at ${fmt(fillRate, 'servers/s')}` },
    { name: `GET /servers/detail (${l.count}) p99`, value: l.p99, unit: 'ms', better: 'lower', target: 50 },
    { name: `RSS with ${total} servers`, value: rss, unit: 'MiB', better: 'lower', note: `the whole Stratus process tree; ${fmt(rss0, 'MiB')} before the first server (${rss >= rss0 ? "+" : ""}${fmt(rss - rss0, "MiB")}); includes what the earlier parts left` },
  ];
  for (const f of figures) printFigure(f);
  return figures;
}
