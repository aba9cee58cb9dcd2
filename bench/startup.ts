import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KEYSTONE_REF } from './anchors.js';
import { fmt, out, printFigure, section, type Figure } from './report.js';
import { BARE_HTTP_SRC, bareNodeMs, startBaseline, startStratus, type RunningStratus } from './stratus.js';
import { median, rssMiB, sleep, stopChild } from './util.js';

export interface StartupOptions {
  reps: number;
  idleSeconds: number;
  /** Temp root: data dirs and child logs go under it. */
  root: string;
}

export interface StartupResult {
  figures: Figure[];
  /** The last warm-started child, left running (and idle-measured) for the load benchmarks. */
  live: RunningStratus;
}

const list = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');

/** The progress steps `stratus up` logs (`[0.61s] identity bootstrapped (...)`), times from up() start. */
function steps(logFile: string): string {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return '';
  }
  const found = [...text.matchAll(/^\s*\[(\d+\.\d+)s\] (.*)$/gm)].map(
    (m) => `${m[2]!.replace(/\s*\(.*$/, '').replace(/:.*$/, '').replace(/ on http.*$/, '')} ${m[1]}`,
  );
  return found.length ? `      steps logged by up(), seconds after it started: ${found.join(', ')}` : '';
}

function report(kind: string, i: number, s: RunningStratus): void {
  out(`  run ${i + 1}: ${kind} ${s.firstTokenMs.toFixed(0)} ms to first token (pid ${s.pid}, port ${s.port})`);
  const st = steps(s.logFile);
  if (st) out(st);
}

async function idleRss(s: RunningStratus, idleSeconds: number): Promise<{ mib: number; processes: number }> {
  await sleep(idleSeconds * 1000);
  return rssMiB(s.pid);
}

/**
 * `stratus up` to first token: `reps` fresh data dirs, each started cold (empty dir: schema,
 * keys, bootstrap with password hashing) then warm (same dir again). Baseline: `node -e ''`.
 */
export async function startupBench(o: StartupOptions): Promise<StartupResult> {
  section(`Start-up: spawn of 'stratus up' to first token (${o.reps} cold + ${o.reps} warm, poll every 5 ms)`);
  await bareNodeMs(); // warm the page cache for the node binary
  const nodeRuns: number[] = [];
  for (let i = 0; i < Math.max(3, o.reps); i++) nodeRuns.push(await bareNodeMs());
  const nodeMs = median(nodeRuns);
  out(`  bare node -e '' spawn-to-exit: ${list(nodeRuns)} ms`);

  const cold: number[] = [];
  const warm: number[] = [];
  let coldRss: { mib: number; processes: number } | undefined;
  let live: RunningStratus | undefined;
  try {
    for (let i = 0; i < o.reps; i++) {
      const dir = join(o.root, `data-${i}`);
      mkdirSync(dir);
      const c = await startStratus(dir, o.root, `cold-${i}`);
      cold.push(c.firstTokenMs);
      try {
        if (i === 0) coldRss = await idleRss(c, o.idleSeconds);
      } finally {
        await stopChild(c.child);
      }
      report('cold', i, c);
      const w = await startStratus(dir, o.root, `warm-${i}`);
      warm.push(w.firstTokenMs);
      if (i === o.reps - 1) live = w;
      else await stopChild(w.child);
      report('warm', i, w);
    }
    // Idle RSS baseline: a bare node:http server, idle for the same time alongside.
    const bare = await startBaseline(BARE_HTTP_SRC, 'bare-http-idle', o.root);
    let liveRss, bareRss;
    try {
      liveRss = await idleRss(live!, o.idleSeconds);
      bareRss = rssMiB(bare.child.pid!);
    } finally {
      await stopChild(bare.child);
    }
    const rssBase = { name: 'bare node:http server', value: bareRss.mib };
    const base = { name: "bare 'node -e \"\"'", value: nodeMs };
    const figures: Figure[] = [
      { name: 'first token, cold start (median)', value: median(cold), unit: 'ms', better: 'lower', target: 1000, base, ref: KEYSTONE_REF.firstTokenMs, note: `runs: ${list(cold)} ms` },
      { name: 'first token, warm start (median)', value: median(warm), unit: 'ms', better: 'lower', target: 1000, base, ref: KEYSTONE_REF.firstTokenMs, note: `runs: ${list(warm)} ms` },
      { name: `idle RSS, ${o.idleSeconds} s after cold start`, value: coldRss!.mib, unit: 'MiB', better: 'lower', target: 150, base: rssBase, ref: KEYSTONE_REF.idleRssMiB, note: `${coldRss!.processes} process(es), VmRSS` },
      { name: `idle RSS, ${o.idleSeconds} s after warm start`, value: liveRss.mib, unit: 'MiB', better: 'lower', target: 150, base: rssBase, ref: KEYSTONE_REF.idleRssMiB, note: `${liveRss.processes} process(es), VmRSS` },
    ];
    out();
    for (const f of figures) printFigure(f);
    out(`      (bare node start ${fmt(nodeMs, 'ms')} is the floor; the rest is module loading, store, bootstrap, listen)`);
    return { figures, live: live! };
  } catch (e) {
    if (live) await stopChild(live.child);
    throw e;
  }
}
