import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { defaultDataDir } from '../../config/config.js';
import { running } from '../state.js';

/** `stratus reset`: wipe the data dir (after confirmation, or with --yes). */
export async function reset(o: { dataDir?: string; yes?: boolean }): Promise<number> {
  const dataDir = o.dataDir ?? defaultDataDir();
  const live = running(dataDir);
  if (live) {
    process.stderr.write(`stratus: a cloud (pid ${live.pid}) is running from ${dataDir}; stop it before resetting.\n`);
    return 1;
  }
  if (!existsSync(dataDir)) {
    console.log(`Nothing to reset: ${dataDir} does not exist.`);
    return 0;
  }
  if (!o.yes) {
    if (!process.stdin.isTTY) {
      process.stderr.write(`stratus: reset deletes everything in ${dataDir}; pass --yes to confirm without a terminal.\n`);
      return 1;
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`This deletes every project, user, image, volume and object in ${dataDir}. Type 'yes' to continue: `);
    rl.close();
    if (answer.trim() !== 'yes') {
      console.log('Reset cancelled.');
      return 1;
    }
  }
  for (const f of readdirSync(dataDir)) rmSync(join(dataDir, f), { recursive: true, force: true });
  console.log(`Reset ${dataDir}: the next 'stratus up' starts a fresh cloud.`);
  return 0;
}
