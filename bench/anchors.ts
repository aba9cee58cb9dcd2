import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compare, out, section, type Better } from './report.js';
import { ROOT, type RunningStratus } from './stratus.js';
import { freePort, onCleanup, rssMiB, sleep, track } from './util.js';

/**
 * Keystone's published reference medians (../shared/anchors/README.md: Keystone Zed, uwsgi 2
 * processes, SQLite, fernet, bcrypt 12, no cache; 3 runs). NOT measured by this bench unless
 * it runs with --anchors.
 */
export const KEYSTONE_REF = {
  issuePerS: 6.5,
  validatePerS: 29.5,
  projectsP99Ms: 102,
  idleRssMiB: 293,
  firstTokenMs: 2600,
};

export const ANCHORS_DIR = resolve(ROOT, '..', 'shared', 'anchors');

export function printReferenceNote(offerAnchors: boolean): void {
  section('Keystone reference (NOT measured in this run)');
  out('  Reference figures from ../shared/anchors/README.md, not measured in this run: Keystone');
  out('  password token issue 6.5/s, validate 29.5/s, GET /v3/projects p99 102 ms, idle RSS 293 MiB,');
  out('  first token 2.6 s. Ratios against them are in the last column of the summary (marked *).');
  if (offerAnchors && existsSync(ANCHORS_DIR)) {
    out(`  To measure real Keystone side by side in this run: npm run bench -- --anchors`);
    out(`  (runs ${ANCHORS_DIR} scripts: apt-get installs Keystone if missing, needs root; about 2 min; never in CI)`);
  }
}

/** Run a script from the anchors dir, capturing stdout; its stderr goes to ours. */
function script(name: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((res, rej) => {
    const c = spawn(join(ANCHORS_DIR, name), args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    track(c);
    let text = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
    c.once('error', rej);
    c.once('exit', (code) => (code === 0 ? res(text) : rej(new Error(`${name} exited ${code}\n${text}`))));
  });
}

/** `metric value unit` lines -> map (comment lines start with #). */
function metrics(text: string, prefix: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k?.startsWith(prefix) && v !== undefined && Number.isFinite(Number(v))) m.set(k.slice(prefix.length), Number(v));
  }
  return m;
}

/**
 * --anchors: start the real Keystone with the anchors' scripts, measure it (first token, idle
 * RSS, bench-identity.sh), then run the same Python load generator against the running Stratus,
 * and print both side by side. Keystone is stopped (by its PID file) on every exit path.
 */
export async function runAnchors(s: RunningStratus, o: { root: string; duration: number; idleSeconds: number }): Promise<void> {
  section('Anchors: real Keystone vs Stratus, measured in this run with ../shared/anchors (Python loadgen, 2 clients)');
  if (!existsSync(join(ANCHORS_DIR, 'keystone-up.sh'))) {
    out(`  ${ANCHORS_DIR} not found; skipped.`);
    return;
  }
  const scratch = join(o.root, 'keystone');
  mkdirSync(scratch);
  const down = () => {
    try {
      execFileSync(join(ANCHORS_DIR, 'keystone-down.sh'), [scratch], { stdio: 'ignore' });
    } catch {
      /* best effort */
    }
  };
  onCleanup(down);
  try {
    const port = await freePort();
    out(`  starting Keystone on 127.0.0.1:${port} (keystone-up.sh; may apt-get install it first) ...`);
    const up = metrics(await script('keystone-up.sh', [String(port), scratch]), 'keystone.');
    const master = Number(readFileSync(join(scratch, 'uwsgi.pid'), 'utf8').trim());
    await sleep(o.idleSeconds * 1000);
    const ksRss = rssMiB(master);
    out(`  Keystone up (first token ${up.get('startup_to_first_token')} s, idle RSS ${ksRss.mib.toFixed(0)} MiB over ${ksRss.processes} processes); benchmarking ...`);
    const env = { ...process.env, DURATION: String(o.duration) };
    const ks = metrics(await script('bench-identity.sh', [`http://127.0.0.1:${port}/v3`, 'secret'], env), 'identity.');
    down();
    out(`  benchmarking Stratus (pid ${s.pid}) with the same script ...`);
    const st = metrics(await script('bench-identity.sh', [`http://127.0.0.1:${s.port}/identity/v3`, 'secret'], env), 'identity.');
    const stRss = rssMiB(s.pid);

    const rows: [string, number | undefined, number | undefined, string, Better][] = [
      ['first token after launch', (up.get('startup_to_first_token') ?? NaN) * 1000, s.firstTokenMs, 'ms', 'lower'],
      ['RSS (Keystone idle; Stratus now)', ksRss.mib, stRss.mib, 'MiB', 'lower'],
    ];
    for (const [k, label] of [
      ['token_issue_password', 'token issue (password)'],
      ['token_issue_from_token', 'token issue (token)'],
      ['token_validate', 'token validate'],
      ['project_list', 'GET /v3/projects'],
    ] as const) {
      rows.push([`${label} rate`, ks.get(k), st.get(k), 'req/s', 'higher']);
      rows.push([`${label} p99`, ks.get(`${k}_p99`), st.get(`${k}_p99`), 'ms', 'lower']);
    }
    out();
    out(`  ${'figure'.padEnd(34)} ${'Keystone'.padStart(12)} ${'Stratus'.padStart(12)}  Stratus vs Keystone`);
    for (const [name, k, v, unit, better] of rows) {
      const f = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(x >= 100 ? 0 : 1)).padStart(12);
      out(`  ${name.padEnd(34)} ${f(k)} ${f(v)}  ${compare(v ?? NaN, k ?? NaN, better, unit)}  (${unit})`);
    }
    for (const [who, m] of [['Keystone', ks], ['Stratus', st]] as const) {
      const errs = [...m].filter(([k, v]) => k.endsWith('_errors') && v > 0);
      if (errs.length) out(`  ! ${who} errors: ${errs.map(([k, v]) => `${k}=${v}`).join(', ')}`);
    }
  } finally {
    down();
  }
}
