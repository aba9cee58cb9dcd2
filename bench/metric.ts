/**
 * Telemetry figures (the metric service, `npm run bench -- --only metric`): measures POST
 * throughput over HTTP, a 1-day read at 60 s granularity, and the cost of one collection cycle
 * for 100 servers. Runs in-process on a temporary SQLite data dir (synchronous=FULL: every acknowledged write
 * is durable), so the figures include the fsyncs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startTestCloud } from '../test/support/cloud.js';
import { silentLogger } from '../src/core/log.js';
import { systemClock } from '../src/core/clock.js';
import { openStore } from '../src/store/index.js';
import { MetricLogic } from '../src/services/metric/logic/index.js';
import { Collector, type CollectorSources } from '../src/services/metric/logic/collector.js';
import { printFigure, section, type Figure } from './report.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function httpFigures(quick: boolean, figures: Figure[]): Promise<void> {
  process.env.STRATUS_TELEMETRY_MS = '0';
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bench-metric-'));
  const tc = await startTestCloud({ dataDir: dir });
  try {
    const token = await tc.token('demo');
    const metrics: string[] = [];
    for (let i = 0; i < 16; i++) metrics.push((await tc.req('POST', '/metric/v1/metric', { token, body: { archive_policy_name: 'medium' } })).body.id);
    const base = Date.parse('2024-05-01T00:00:00Z') / 1000;
    for (const batch of [1, 100]) {
      const seconds = quick ? 1 : 3;
      const end = performance.now() + seconds * 1000;
      let reqs = 0;
      const b0 = tc.cloud.metric.logic.writer.stats.batches;
      const counters = new Map<string, number>();
      await Promise.all(metrics.map(async (id) => {
        while (performance.now() < end) {
          const t0 = counters.get(id) ?? 0;
          const body = Array.from({ length: batch }, (_, i) => ({ timestamp: base + t0 + i, value: i }));
          counters.set(id, t0 + batch);
          const r = await tc.req('POST', `/metric/v1/metric/${id}/measures`, { token, body });
          if (r.status !== 202) throw new Error(r.text);
          reqs++;
        }
      }));
      figures.push(show({
        name: `measures POST, ${batch} per request`,
        value: (reqs * batch) / seconds,
        unit: 'measures/s',
        better: 'higher',
        note: `${(reqs / seconds).toFixed(0)} req/s from 16 concurrent clients, medium policy; ${(reqs / (tc.cloud.metric.logic.writer.stats.batches - b0)).toFixed(1)} requests per commit (fsync)`,
      }));
    }
    // One day at 60 s: 1440 points read back at granularity 60.
    const day = (await tc.req('POST', '/metric/v1/metric', { token, body: { archive_policy_name: 'medium' } })).body.id;
    const body = Array.from({ length: 1440 }, (_, i) => ({ timestamp: base + i * 60, value: i }));
    await tc.req('POST', `/metric/v1/metric/${day}/measures`, { token, body });
    const times: number[] = [];
    for (let i = 0; i < (quick ? 20 : 100); i++) {
      const t0 = performance.now();
      const r = await tc.req('GET', `/metric/v1/metric/${day}/measures?granularity=60&start=2024-05-01T00:00:00&stop=2024-05-02T00:00:00`, { token });
      times.push(performance.now() - t0);
      if (r.body.length !== 1440) throw new Error(`read ${r.body.length} points`);
    }
    figures.push(show({ name: '1-day read at 60 s, median', value: median(times), unit: 'ms', better: 'lower', note: '1440 points over HTTP + JSON' }));
  } finally {
    await tc.close();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.STRATUS_TELEMETRY_MS;
  }
}

async function collectorFigure(quick: boolean, figures: Figure[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-bench-collector-'));
  const store = openStore(dir);
  let offset = 0;
  const logic = new MetricLogic({ store, clock: { now: () => systemClock.now() + offset }, log: silentLogger });
  await logic.init();
  const uuid = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
  const servers = Array.from({ length: 100 }, (_, i) => ({ id: uuid(i), name: `vm${i}`, projectId: 'p', userId: 'u', flavorId: '42', flavorName: 'm1.nano', vcpus: 1, ramMiB: 128, host: 'h', imageId: null, groupId: null }));
  let tick = 0;
  const sources: CollectorSources = {
    creator: async () => ({ userId: 'admin', projectId: 'admin', admin: true }),
    servers: async () => servers,
    stats: async (id) => ({ cpuTimeNs: tick * 1e9, memoryUsageBytes: 1e8, disks: { vda: { readBytes: tick * 1000, writeBytes: tick * 10 } }, ports: { [`${id.slice(0, 30)}ffffff`]: { rxBytes: tick, txBytes: tick, rxPackets: tick, txPackets: tick } } }),
    volumes: async () => [],
    images: async () => [],
    accounts: async () => [],
  };
  const c = new Collector(logic, sources, { intervalMs: 0, log: silentLogger });
  const first = await c.cycle();
  const steady: number[] = [];
  let cpuMs = 0;
  for (let i = 0; i < (quick ? 5 : 20); i++) {
    tick++;
    offset += 10_000;
    const cpu0 = process.cpuUsage();
    const r = await c.cycle();
    const cpu = process.cpuUsage(cpu0);
    steady.push(r!.ms);
    if (i === 0) cpuMs = (cpu.user + cpu.system) / 1000;
  }
  figures.push(show({
    name: 'collector cycle, 100 servers',
    value: median(steady),
    unit: 'ms',
    better: 'lower',
    note: `steady median, ${cpuMs.toFixed(0)} ms CPU; 300 resources, ${first!.measures} measures per cycle; the first cycle (creates everything) ${first!.ms.toFixed(0)} ms`,
  }));
  await logic.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

function show(f: Figure): Figure {
  printFigure(f);
  return f;
}

export async function metricBench(o: { quick: boolean }): Promise<Figure[]> {
  section('Telemetry (metric service): measures in, aggregates out, the usage collector');
  const figures: Figure[] = [];
  await httpFigures(o.quick, figures);
  await collectorFigure(o.quick, figures);
  return figures;
}
