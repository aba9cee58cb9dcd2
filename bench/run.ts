/**
 * `npm run bench`: Stratus performance figures against the targets of issue #2 §8, each with a
 * PASS/MISS verdict and a ratio against a baseline measured in the same run.
 *
 *   --quick    1 repetition, 1 s loads (a smoke test; figures are rough)
 *   --anchors  also start real Keystone with ../shared/anchors and measure it side by side
 *              (needs root and apt; about 2 min; never in CI)
 *   --strict   exit 2 if a target is missed
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { printReferenceNote, runAnchors } from './anchors.js';
import { identityBench } from './identity.js';
import { out, printFigure, printSummary, section, verdict, type Figure } from './report.js';
import { startupBench } from './startup.js';
import type { RunningStratus } from './stratus.js';
import { cleanupSync, installCleanupHandlers, noiseMeter, machineLine, removeDir, rssMiB, stopChild, tempDir } from './util.js';

const USAGE = 'usage: npm run bench [-- --quick] [--anchors] [--strict]\n';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: { quick: { type: 'boolean' }, anchors: { type: 'boolean' }, strict: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
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
