import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { createLogger } from '../../core/log.js';
import { defaultConfig, type StratusConfig } from '../../config/config.js';
import { startCloud } from '../../main.js';
import { cloudsDoc, mergeCloudsYaml, openrcText, userCloudsYaml } from '../clouds.js';
import { clearState, running, writeState } from '../state.js';

export interface UpOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  adminPassword?: string;
  cloudsYaml: boolean;
  logLevel?: StratusConfig['logLevel'];
  quiet?: boolean;
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
  let cloud;
  try {
    cloud = await startCloud(config, { log, progress: step });
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
  // Say plainly which services run on stand-in drivers (no root, or no data plane yet).
  const fakes = Object.entries(cloud.gateway.health().services).filter(([, h]) => h.detail && /fake/i.test(h.detail));
  if (fakes.length) {
    out(`  note: ${fakes.map(([name]) => name).join(', ')} run on fake drivers (${fakes.map(([, h]) => h.detail).join('; ')}):`);
    out(`        the APIs are complete, but servers and networks are not real until the Linux data plane lands.`);
  }
  out('');
  out(`Stratus is up in ${((performance.now() - t0) / 1000).toFixed(2)}s.`);
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
