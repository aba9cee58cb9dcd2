/**
 * Networking (Neutron), issue #4: port creates per second with 2 concurrent clients, and
 * GET /ports latency with 1,000 ports on one network.
 */
import { Api, type DataOptions } from './objects.js';
import { fmt, printFigure, section, type Figure } from './report.js';
import { percentileSorted } from './util.js';

export const NET = '/networking/v2.0';

/** A network with a large IPv4 subnet (a /20: 4,094 addresses); returns the network id. */
export async function makeNetwork(api: Api, name: string, cidr: string): Promise<string> {
  const n = await api.must('POST', `${NET}/networks`, { network: { name } }, [201]);
  const id = String(n.json.network.id);
  await api.must('POST', `${NET}/subnets`, { subnet: { network_id: id, cidr, ip_version: 4, name: `${name}-subnet` } }, [201]);
  return id;
}

/** Run `total` calls of `fn` with `clients` concurrent loops; returns each call's milliseconds. */
export async function concurrently(total: number, clients: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  let next = 0;
  const lat: number[] = [];
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await fn(i);
        lat.push(performance.now() - t0);
      }
    }),
  );
  return lat;
}

/** p50/p99 of `n` sequential GETs of `path` (after 3 untimed), and the length of `key` in the last body. */
export async function listLatency(api: Api, path: string, key: string, n: number): Promise<{ p50: number; p99: number; count: number; bytes: number }> {
  let count = 0;
  let bytes = 0;
  const lat: number[] = [];
  for (let i = 0; i < n + 3; i++) {
    const t0 = performance.now();
    const r = await api.must('GET', path, undefined, [200]);
    if (i >= 3) lat.push(performance.now() - t0);
    count = (r.json[key] as unknown[]).length;
    bytes = r.text.length;
  }
  lat.sort((a, b) => a - b);
  return { p50: percentileSorted(lat, 50), p99: percentileSorted(lat, 99), count, bytes };
}

export async function networkBench(api: Api, project: string, o: DataOptions): Promise<Figure[]> {
  const timed = o.quick ? 100 : 300;
  const listed = 1000;
  section(`Network (Neutron): ${timed} port creates with 2 concurrent clients${o.quick ? ' (--quick: 100 instead of 300)' : ''}; GET /ports with ${listed} ports`);
  await api.must('PUT', `${NET}/quotas/${project}`, { quota: { port: -1 } }, [200]);
  const net = await makeNetwork(api, 'bench-ports', '10.77.0.0/20');
  const create = async (): Promise<void> => void (await api.must('POST', `${NET}/ports`, { port: { network_id: net } }, [201]));
  const t0 = performance.now();
  const lat = await concurrently(timed, 2, create);
  const rate = timed / ((performance.now() - t0) / 1000);
  lat.sort((a, b) => a - b);
  // The subnet's DHCP port (if any) counts too: fill up to exactly `listed` on this network.
  const have = (await api.must('GET', `${NET}/ports?network_id=${net}`)).json.ports.length as number;
  await concurrently(Math.max(0, listed - have), 4, create);
  const l = await listLatency(api, `${NET}/ports?network_id=${net}`, 'ports', 30);
  const figures: Figure[] = [
    { name: 'port create, 2 clients', value: rate, unit: 'ports/s', better: 'higher', note: `POST /ports on a /20; per request p50 ${fmt(percentileSorted(lat, 50), 'ms')}, p99 ${fmt(percentileSorted(lat, 99), 'ms')}` },
    { name: `GET /ports (${l.count} ports) p50`, value: l.p50, unit: 'ms', better: 'lower', note: `?network_id=, 30 sequential requests, ${(l.bytes / 1024).toFixed(0)} KiB of JSON` },
    { name: `GET /ports (${l.count} ports) p99`, value: l.p99, unit: 'ms', better: 'lower' },
  ];
  for (const f of figures) printFigure(f);
  return figures;
}
