import { defaultConfig, defaultDataDir } from '../../config/config.js';
import { openrcText, recordedPassword } from '../clouds.js';
import { readState } from '../state.js';

/** `stratus openrc`: print shell exports for the openstack CLI (`eval "$(stratus openrc)"`). */
export async function openrc(o: { dataDir?: string; user?: string; project?: string; password?: string }): Promise<number> {
  const dataDir = o.dataDir ?? defaultDataDir();
  const state = readState(dataDir);
  if (!state) {
    process.stderr.write(`stratus: no cloud has run from ${dataDir} yet; start one with 'npx stratus up --data-dir ${dataDir}'.\n`);
    return 1;
  }
  const user = o.user ?? 'demo';
  const password = o.password ?? process.env.STRATUS_ADMIN_PASSWORD ?? recordedPassword(dataDir) ?? defaultConfig().adminPassword;
  process.stdout.write(
    openrcText({ authUrl: `${state.url}/identity`, user, project: o.project ?? (user === 'admin' ? 'admin' : user === 'alt_demo' ? 'alt_demo' : 'demo'), password, region: 'RegionOne' }),
  );
  return 0;
}
