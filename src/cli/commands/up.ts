import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { createLogger } from '../../core/log.js';
import { defaultConfig, type StratusConfig } from '../../config/config.js';
import { startCloud } from '../../main.js';
import { cloudsDoc, mergeCloudsYaml, openrcText, userCloudsYaml } from '../clouds.js';
import { clearState, running, writeState } from '../state.js';
import { aptInstall, installCommand, packagesOf, probe } from '../../dataplane/probe.js';

export interface UpOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  adminPassword?: string;
  cloudsYaml: boolean;
  logLevel?: StratusConfig['logLevel'];
  quiet?: boolean;
  /** No link from the data plane to the host (also the default under CI and tests). */
  isolated?: boolean;
  /** Link the external network to the host (one veth and a guard route); opt-in. */
  uplink?: boolean;
  /** Run on the fake drivers even as root. */
  fakeDataplane?: boolean;
}

/** `stratus up`: start the cloud in the foreground until SIGINT or SIGTERM. */
export async function up(o: UpOptions): Promise<number> {
  const t0 = performance.now();
  const out = (s: string) => process.stdout.write(s + '\n');
  const step = (s: string) => out(`  [${((performance.now() - t0) / 1000).toFixed(2)}s] ${s}`);
  const overrides: Partial<StratusConfig> = {};
  if (o.host) overrides.host = o.host;
  if (o.port !== undefined) overrides.port = o.port;
  if (o.dataDir) overrides.dataDir = o.dataDir;
  if (o.logLevel) overrides.logLevel = o.logLevel;
  if (o.adminPassword !== undefined) {
    overrides.adminPassword = o.adminPassword;
    overrides.adminPasswordExplicit = true;
  }
  const config = defaultConfig(overrides);
  const persistent = config.dataDir !== ':memory:';
  if (persistent) {
    const other = running(config.dataDir);
    if (other) {
      process.stderr.write(`stratus: another 'stratus up' (pid ${other.pid}) already serves ${config.dataDir} at ${other.url}.\n` +
        `Stop it first, or pass a different --data-dir.\n`);
      return 1;
    }
  }
  out(`Starting Stratus (data dir ${config.dataDir})`);
  const log = createLogger({ level: config.logLevel });
  // The data plane: isolated under CI and tests or when asked; the uplink only when asked.
  // NOTE: DESIGN.md §4 makes the uplink the default outside tests; it is opt-in (--uplink) for
  // now, so that no run on a shared development host adds a route to its root namespace.
  const underTest = process.env.CI === 'true' || process.env.NODE_TEST_CONTEXT !== undefined;
  const isolated = Boolean(o.isolated || underTest || !o.uplink);
  if (o.uplink && isolated) step(`--uplink ignored: ${o.isolated ? '--isolated given' : 'running under CI or tests'}; the data plane stays isolated`);
  // Under `node --test` the real data plane is opt-in (STRATUS_DATAPLANE=linux): the API suites
  // spawn `up` by the dozen, kill it with -9 and delete its data dir, and expect the fakes.
  const testOptIn = process.env.NODE_TEST_CONTEXT === undefined || process.env.STRATUS_DATAPLANE === 'linux';
  const wantReal = !o.fakeDataplane && persistent && process.env.STRATUS_DATAPLANE !== 'fake' && testOptIn;
  if (wantReal) {
    const p = probe(['network', 'compute']);
    if (p.root && p.missing.length) {
      const pkgs = packagesOf(p.missing);
      step(`data plane: installing missing Debian packages: ${pkgs.join(' ')}`);
      if (!(await aptInstall(pkgs, (l) => step(`  apt: ${l}`)))) {
        step(`data plane: could not install them; run '${installCommand(pkgs)}' as root, then restart`);
      }
    }
  }
  let cloud;
  try {
    cloud = await startCloud(config, { log, progress: step, dataplane: { mode: wantReal ? 'auto' : 'fake', isolated, ...(testOptIn ? {} : { reason: 'running under node --test (set STRATUS_DATAPLANE=linux for the real data plane)' }) } });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') process.stderr.write(`stratus: port ${config.port} on ${config.host} is in use; pick another with --port.\n`);
    else if (err.code === 'EACCES') process.stderr.write(`stratus: no permission to listen on ${config.host}:${config.port}; use a port above 1024.\n`);
    else process.stderr.write(`stratus: could not start: ${err.message}\n`);
    return 1;
  }
  const authUrl = `${cloud.url}/identity`;
  if (persistent) {
    writeState(config.dataDir, { pid: process.pid, url: cloud.url, startedAt: new Date().toISOString() });
    const clouds = cloudsDoc(authUrl, config.adminPassword, config.region);
    mergeCloudsYaml(join(config.dataDir, 'clouds.yaml'), clouds);
    writeFileSync(join(config.dataDir, 'openrc'), openrcText({ authUrl, user: 'demo', project: 'demo', password: config.adminPassword, region: config.region }), { mode: 0o600 });
    writeFileSync(join(config.dataDir, 'openrc-admin'), openrcText({ authUrl, user: 'admin', project: 'admin', password: config.adminPassword, region: config.region }), { mode: 0o600 });
    if (o.cloudsYaml) {
      mergeCloudsYaml(userCloudsYaml(), clouds);
      step(`clouds.yaml: entries stratus, stratus-admin merged into ${userCloudsYaml()}`);
    }
  }
  step('ready');
  // Say plainly which services run on stand-in drivers, and why.
  const dp = cloud.dataplane;
  if (dp.network === 'fake') {
    out(`  note: network and compute run on fake drivers: ${dp.reason}.`);
    out(`        The APIs are complete, but servers and networks move no packets.`);
  } else if (dp.compute === 'fake') {
    out(`  note: compute runs on the fake driver: ${dp.computeReason}.`);
  }
  if (dp.prefix) {
    out(`  Data plane           namespace ${dp.prefix}, ${dp.isolated ? 'isolated: reach floating IPs with  stratus netns exec' + (persistent ? ` --data-dir ${config.dataDir}` : '') + ' -- ssh …' : 'external network linked to this host'}`);
    out(`                       stratus down${persistent ? ` --data-dir ${config.dataDir}` : ''} removes it (so do Ctrl-C and SIGTERM)`);
  }
  out('');
  out(`Stratus is up in ${((performance.now() - t0) / 1000).toFixed(2)}s.`);
  out(`  Dashboard            ${cloud.url}/  (log in as demo or admin, domain Default)`);
  out(`  Identity (auth URL)  ${authUrl}/v3`);
  out(`  Health               ${cloud.url}/health`);
  out(`  S3 (EC2 credentials) ${cloud.url}/s3  (path-style; openstack ec2 credentials create)`);
  out(`  Credentials          admin / ${config.adminPasswordExplicit ? '(the password you gave)' : config.adminPassword}  (project admin)`);
  out(`                       demo / same password  (project demo), also alt_demo, demo_reader`);
  if (persistent) {
    out(`  clouds.yaml          ${join(config.dataDir, 'clouds.yaml')}  (clouds: stratus, stratus-admin)`);
    out(`  Try:                 openstack --os-cloud stratus-admin token issue`);
    out(`  Or:                  source ${join(config.dataDir, 'openrc-admin')}`);
  }
  out('Press Ctrl-C to stop.');

  await new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      out(`\nReceived ${sig}, stopping…`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await cloud.close();
  if (persistent) clearState(config.dataDir);
  out('Stratus stopped.');
  return 0;
}
