import { scrypt } from 'node:crypto';
import { SCRYPT_COST } from '../src/services/identity/logic/passwords.js';
import { KEYSTONE_REF } from './anchors.js';
import { fetchOnce, runLoad, type LoadResult, type RequestSpec } from './load.js';
import { fmt, out, printFigure, section, type Figure } from './report.js';
import { BARE_FASTIFY_SRC, BARE_HTTP_SRC, ISSUE, TOKEN_PATH, startBaseline, type RunningStratus } from './stratus.js';
import { coresBusy, cpuSeconds, cpuTicks, stopChild } from './util.js';

export interface LoadBenchOptions {
  clients: number;
  seconds: number;
  baselineSeconds: number;
  warmupSeconds: number;
  root: string;
}

interface Measured {
  r: LoadResult;
  /** Cores used by the server process, and by everything else but server and load generator. */
  serverCpu: number;
  others: number;
}

function check(name: string, r: LoadResult): void {
  if (r.ok === 0) throw new Error(`${name}: no successful request (${r.errors} errors; first: ${r.firstError ?? '?'})`);
  if (r.errors) out(`      ! ${name}: ${r.errors} errors (first: ${r.firstError})`);
}

/** Run one load against `pid`'s server, measuring that process's CPU too. */
async function measure(name: string, pid: number, port: number, spec: RequestSpec, o: LoadBenchOptions, seconds: number, client: 'raw' | 'http' = 'raw'): Promise<Measured> {
  const lo = { port, clients: o.clients, client };
  if (o.warmupSeconds) await runLoad({ ...lo, seconds: o.warmupSeconds }, spec);
  const c0 = cpuSeconds(pid);
  const m0 = cpuTicks();
  const r = await runLoad({ ...lo, seconds }, spec);
  const serverCpu = (cpuSeconds(pid) - c0) / r.seconds;
  const others = Math.max(0, coresBusy(m0, cpuTicks()) - serverCpu - r.genCpu);
  check(name, r);
  return { r, serverCpu, others };
}

const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
const lat = (m: Measured) =>
  `p50 ${fmt(m.r.p50, 'ms')}, p99 ${fmt(m.r.p99, 'ms')}; ${m.r.ok.toLocaleString('en-US')} ok / ${m.r.errors} errors in ${m.r.seconds.toFixed(1)} s;` +
  ` CPU (of one core): server ${pct(m.serverCpu)} = ${us(m)} us/req, loadgen ${pct(m.r.genCpu)}, other processes ${pct(m.others)}`;
/** Server CPU per successful request, microseconds (from /proc/<pid>/stat, 10 ms ticks). */
const us = (m: Measured) => ((m.serverCpu / m.r.rate) * 1e6).toFixed(0);

/**
 * Password hashes at the server's scrypt cost, `parallel` at a time, in this process: the rate,
 * and the CPU per hash (a figure that machine noise barely moves).
 */
async function scryptRate(parallel: number, seconds: number): Promise<{ rate: number; cpuMs: number }> {
  const { N, r, p } = SCRYPT_COST;
  const salt = Buffer.alloc(16, 7);
  const one = () => new Promise<void>((res, rej) => scrypt('secret', salt, 32, { N, r, p, maxmem: 256 * N * r }, (e) => (e ? rej(e) : res())));
  await one();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (performance.now() < end) {
        await one();
        n++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { rate: n / ((performance.now() - t0) / 1000), cpuMs: (cpu.user + cpu.system) / 1000 / n };
}

/**
 * Identity under load against the running child: token validate, password token issue and
 * GET /v3/projects, `clients` concurrent keep-alive clients each. Baselines in the same run:
 * bare node:http and bare Fastify servers hit by the same load generator, and raw scrypt.
 */
export async function identityBench(s: RunningStratus, o: LoadBenchOptions): Promise<Figure[]> {
  section(`Identity under load: ${o.clients} concurrent keep-alive clients, ${o.seconds} s each (+${o.warmupSeconds} s warm-up)`);
  const auth = { 'x-auth-token': s.token };
  const validate: RequestSpec = { method: 'GET', path: TOKEN_PATH, headers: { ...auth, 'x-subject-token': s.token }, expect: 200 };
  const projects: RequestSpec = { method: 'GET', path: '/identity/v3/projects', headers: auth, expect: 200 };
  for (const [name, spec] of [['validate', validate], ['projects', projects]] as const) {
    const r = await fetchOnce(s.port, spec);
    if (r.status !== spec.expect) throw new Error(`${name} check: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    out(`  ${name} response: HTTP ${r.status}, ${r.body.length.toLocaleString('en-US')} bytes of JSON`);
  }

  const v = await measure('token validate', s.pid, s.port, validate, o, o.seconds);
  const vh = await measure('token validate (node:http client)', s.pid, s.port, validate, o, o.seconds, 'http');
  const i = await measure('token issue', s.pid, s.port, ISSUE, o, o.seconds);
  // Right after the issue run, so machine noise drifts as little as possible between the two.
  const scryptPar = Math.min(o.clients, 4);
  const sc = await scryptRate(scryptPar, Math.max(1, o.baselineSeconds / 2));
  const pl = await measure('GET /v3/projects', s.pid, s.port, projects, o, o.seconds);

  out(`  baselines (same load generator, ${o.baselineSeconds} s each): bare node:http and bare Fastify answering {} ...`);
  const bareHttp = await baseline('bare-http', BARE_HTTP_SRC, false, validate, o);
  const bareFastify = await baseline('bare-fastify', BARE_FASTIFY_SRC, true, validate, o);
  const bareHttpH = await baseline('bare-http-client', BARE_HTTP_SRC, false, validate, o, 'http');
  const issueCpuMs = (i.serverCpu / i.r.rate) * 1000;
  const cost = `scrypt N=${SCRYPT_COST.N} (2^${Math.log2(SCRYPT_COST.N)}), r=${SCRYPT_COST.r}, p=${SCRYPT_COST.p}`;

  const figures: Figure[] = [
    { name: 'token validate', value: v.r.rate, unit: 'req/s', better: 'higher', target: 5000, base: { name: 'bare node:http', value: bareHttp.r.rate }, ref: KEYSTONE_REF.validatePerS, note: lat(v) },
    { name: 'token validate p99', value: v.r.p99, unit: 'ms', better: 'lower', base: { name: 'bare node:http', value: bareHttp.r.p99 } },
    { name: 'token validate, node:http client', value: vh.r.rate, unit: 'req/s', better: 'higher', base: { name: 'bare node:http, same client', value: bareHttpH.r.rate }, note: `cross-check with node:http's client (keep-alive Agent): its own cost per request caps what it can measure; ${lat(vh)}` },
    { name: 'token issue (password)', value: i.r.rate, unit: 'req/s', better: 'higher', base: { name: `raw scrypt x${scryptPar}`, value: sc.rate }, ref: KEYSTONE_REF.issuePerS, note: `${lat(i)}\n      bound by password hashing: ${cost}; one hash costs ${fmt(sc.cpuMs, 'ms')} CPU here, one issue ${fmt(issueCpuMs, 'ms')} CPU (hash = ${((sc.cpuMs / issueCpuMs) * 100).toFixed(0)}% of it)` },
    { name: 'token issue p99', value: i.r.p99, unit: 'ms', better: 'lower' },
    { name: 'GET /v3/projects p50', value: pl.r.p50, unit: 'ms', better: 'lower', base: { name: 'bare node:http', value: bareHttp.r.p50 } },
    { name: 'GET /v3/projects p99', value: pl.r.p99, unit: 'ms', better: 'lower', target: 10, base: { name: 'bare node:http', value: bareHttp.r.p99 }, ref: KEYSTONE_REF.projectsP99Ms, note: `${fmt(pl.r.rate, 'req/s')}; ${lat(pl)}` },
  ];
  out();
  for (const f of figures) printFigure(f);
  out(`  baselines: bare node:http ${fmt(bareHttp.r.rate, 'req/s')} (${lat(bareHttp)})`);
  out(`             bare Fastify  ${fmt(bareFastify.r.rate, 'req/s')} (${lat(bareFastify)})`);
  out(`             bare node:http, node:http client ${fmt(bareHttpH.r.rate, 'req/s')} (${lat(bareHttpH)})`);
  out(`             validate = ${(v.r.rate / bareFastify.r.rate * 100).toFixed(0)}% of bare Fastify, ${(v.r.rate / bareHttp.r.rate * 100).toFixed(0)}% of bare node:http`);
  return figures;
}

async function baseline(name: string, src: string, esm: boolean, spec: RequestSpec, o: LoadBenchOptions, client: 'raw' | 'http' = 'raw'): Promise<Measured> {
  const b = await startBaseline(src, name, o.root, esm);
  try {
    return await measure(name, b.child.pid!, b.port, spec, o, o.baselineSeconds, client);
  } finally {
    await stopChild(b.child);
  }
}
