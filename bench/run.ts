/**
 * `npm run bench`: Stratus performance figures against the targets of issue #2 §8, each with a
 * PASS/MISS verdict and a ratio against a baseline measured in the same run.
 *
 *   --quick    1 repetition, 1 s loads (a smoke test; figures are rough)
 *   --anchors  also start real Keystone with ../shared/anchors and measure it side by side
 *              (needs root and apt; about 2 min; never in CI)
 *   --strict   exit 2 if a target is missed
 *   --only     comma-separated parts to run: identity (startup + identity), objects, images,
 *              network, compute, metric, kube, dataplane, kube-real (default: all; dataplane and
 *              kube-real only as root, where they boot real instances and real pods)
 *
 * objects/images/network/compute (issues #3-#5) run against a second Stratus on a fresh data dir.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { printReferenceNote, runAnchors } from './anchors.js';
import { identityBench } from './identity.js';
import { out, printFigure, printSummary, section, verdict, type Figure } from './report.js';
import { startupBench } from './startup.js';
import { computeBench } from './compute.js';
import { imagesBench } from './images.js';
import { dataplaneBench } from './dataplane.js';
import { metricBench } from './metric.js';
import { kubeBench } from './kube.js';
import { kubeRealBench } from './kube-real.js';
import { networkBench } from './network.js';
import { Api, objectsBench, projectId, type DataOptions } from './objects.js';
import { startStratus, type RunningStratus } from './stratus.js';
import { cleanupSync, installCleanupHandlers, isRoot, noiseMeter, machineLine, removeDir, rssMiB, stopChild, tempDir } from './util.js';

const USAGE = 'usage: npm run bench [-- --quick] [--anchors] [--strict] [--only identity,objects,images,network,compute,metric,kube,dataplane,kube-real]\n';
const PARTS = ['identity', 'objects', 'images', 'network', 'compute', 'metric', 'kube', 'dataplane', 'kube-real'] as const;
/** Parts that need root (real namespaces, instances, pods): in the default set only when root. */
const ROOT_PARTS = new Set<string>(['dataplane', 'kube-real']);

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: { quick: { type: 'boolean' }, anchors: { type: 'boolean' }, strict: { type: 'boolean' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }).values;
  } catch (e) {
    process.stderr.write(`bench: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const only = new Set<string>(args.only ? args.only.split(',').map((x) => x.trim()) : PARTS.filter((p) => isRoot() || !ROOT_PARTS.has(p)));
  const unknown = [...only].filter((x) => !(PARTS as readonly string[]).includes(x));
  if (unknown.length) {
    process.stderr.write(`bench: unknown part(s) ${unknown.join(', ')}\n${USAGE}`);
    return 2;
  }
  const quick = !!args.quick;
  const cfg = {
    reps: quick ? 1 : 3,
    idleSeconds: quick ? 1 : 3,
    clients: 2,
    seconds: quick ? 1 : 5,
    baselineSeconds: quick ? 1 : 3,
    warmupSeconds: quick ? 0.2 : 1,
  };
  installCleanupHandlers();
  out(`Stratus bench${quick ? ' (--quick: 1 repetition, 1 s loads; rough figures)' : ''}`);
  out(`  ${machineLine()}, ${availableParallelism()} CPUs`);
  const noise = noiseMeter();
  out('  servers on 127.0.0.1; load generator in this process: raw HTTP/1.1 keep-alive sockets (node:http client as cross-check)');

  const root = tempDir('stratus-bench-');
  let live: RunningStratus | undefined;
  const figures: Figure[] = [];
  try {
    if (only.has('identity')) {
      const st = await startupBench({ reps: cfg.reps, idleSeconds: cfg.idleSeconds, root });
      live = st.live;
      figures.push(...st.figures);
      figures.push(...(await identityBench(live, { ...cfg, root })));

      section('Memory after load');
      const after = rssMiB(live.pid);
      const f: Figure = { name: 'RSS right after the load runs', value: after.mib, unit: 'MiB', better: 'lower', note: 'no target; growth under load (scrypt buffers, caches, JIT)' };
      printFigure(f);
      figures.push(f);

      if (args.anchors) await runAnchors(live, { root, duration: quick ? 2 : 10, idleSeconds: quick ? 2 : 5 });
      printReferenceNote(!args.anchors);
      await stopChild(live.child);
    }
    if ((['objects', 'images', 'network', 'compute'] as const).some((p) => only.has(p))) {
      section('Data plane and resources (issues #3-#5): a new Stratus on a fresh data dir (SQLite + files), admin token');
      const dataDir = join(root, 'data');
      const scratch = join(root, 'disk');
      mkdirSync(scratch);
      // The fake hypervisor reports this machine's CPUs/RAM/disk; 1,000 m1.nano servers need
      // higher allocation ratios than the defaults (64 vCPU, 1.5 RAM, 1 disk).
      const ratios = { STRATUS_CPU_ALLOCATION_RATIO: '2000', STRATUS_RAM_ALLOCATION_RATIO: '16', STRATUS_DISK_ALLOCATION_RATIO: '16' };
      const saved = Object.keys(ratios).map((k) => [k, process.env[k]] as const);
      Object.assign(process.env, ratios);
      try {
        live = await startStratus(dataDir, root, 'stratus-data');
      } finally {
        for (const [k, v] of saved) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
      out(`  data dir ${dataDir}; disk baselines in ${scratch} (same filesystem)`);
      out(`  allocation ratios raised for 1,000 servers on the fake driver: ${Object.entries(ratios).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      const api = new Api(live.port, live.token);
      try {
        const o: DataOptions = { quick, dir: scratch, seconds: cfg.seconds, warmupSeconds: cfg.warmupSeconds };
        const project = await projectId(api);
        if (only.has('objects')) figures.push(...(await objectsBench(live, api, o)));
        if (only.has('images')) figures.push(...(await imagesBench(api, o)));
        if (only.has('network')) figures.push(...(await networkBench(api, project, o)));
        if (only.has('compute')) figures.push(...(await computeBench(live, api, project, o)));
      } finally {
        api.close();
      }
      await stopChild(live.child);
    }
    if (only.has('metric')) figures.push(...(await metricBench({ quick })));
    if (only.has('kube')) figures.push(...(await kubeBench({ quick, root })));
    if (only.has('dataplane')) figures.push(...(await dataplaneBench({ quick, root })));
    if (only.has('kube-real')) figures.push(...(await kubeRealBench({ quick, root })));
    if (!isRoot() && !args.only) out('\n  dataplane and kube-real skipped: they need root (real namespaces, instances and pods); run: sudo npm run bench -- --only dataplane,kube-real');
    const others = noise();
    printSummary(figures);
    out(`  other processes on this machine used ${others.toFixed(2)} of ${availableParallelism()} CPUs on average during the run` +
      `${args.anchors ? ' (Keystone included)' : ''}${others > 0.2 ? ' -- NOISY: rates are low and latencies high by roughly that share' : ' (quiet)'}; ${machineLine()}`);
  } finally {
    if (live) await stopChild(live.child);
    removeDir(root);
  }
  return args.strict && figures.some((f) => verdict(f) === 'MISS') ? 2 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
    cleanupSync();
    process.exitCode = 1;
  },
);
