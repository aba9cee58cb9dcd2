import { defaultDataDir } from '../../config/config.js';
import { readState, running } from '../state.js';

/** `stratus status`: is a cloud running for this data dir, and how are its services? */
export async function status(o: { dataDir?: string; json?: boolean }): Promise<number> {
  const dataDir = o.dataDir ?? defaultDataDir();
  const s = running(dataDir);
  if (!s) {
    const stale = readState(dataDir);
    console.log(`Stratus is not running for ${dataDir}${stale ? ` (stale state from pid ${stale.pid})` : ''}.`);
    console.log(`Start it with: npx stratus up --data-dir ${dataDir}`);
    return 3;
  }
  let body: { status?: string; services?: Record<string, { status: string; detail?: string }> } = {};
  let code = 0;
  try {
    const res = await fetch(`${s.url}/health`, { signal: AbortSignal.timeout(3000) });
    code = res.status;
    body = (await res.json()) as typeof body;
  } catch (e) {
    console.log(`Stratus (pid ${s.pid}) does not answer at ${s.url}: ${(e as Error).message}`);
    return 1;
  }
  if (o.json) {
    console.log(JSON.stringify({ pid: s.pid, url: s.url, startedAt: s.startedAt, ...body }, null, 2));
    return code === 200 ? 0 : 1;
  }
  console.log(`Stratus ${body.status ?? 'unknown'}: pid ${s.pid}, ${s.url}, up since ${s.startedAt}`);
  for (const [name, h] of Object.entries(body.services ?? {})) {
    console.log(`  ${name.padEnd(16)} ${h.status}${h.detail ? `  (${h.detail})` : ''}`);
  }
  return code === 200 ? 0 : 1;
}
