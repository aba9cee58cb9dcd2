import { homedir } from 'node:os';
import { join } from 'node:path';

/** Everything `stratus up` can be told; `main.ts` turns it into a running cloud. */
export interface StratusConfig {
  host: string;
  port: number;
  /** Directory for the database, keys and blobs; `:memory:` keeps everything in memory. */
  dataDir: string;
  /** Overrides the URL advertised in the catalog (defaults to http://host:port). */
  publicUrl?: string;
  adminPassword: string;
  /** True when the password came from a flag or the environment rather than the default. */
  adminPasswordExplicit: boolean;
  region: string;
  /** Token lifetime, seconds. */
  tokenTtl: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Image service settings; per-project quotas default to 1000 images and 200 GiB. */
  image?: { quotas?: { images?: number; bytes?: number } };
  /** Object storage settings: largest object (bytes), expirer sweep interval (ms). */
  swift?: { maxObjectSize?: number; expirerIntervalMs?: number; syncIntervalMs?: number };
}

export const DEFAULT_PORT = 5000;
export const DEFAULT_ADMIN_PASSWORD = 'secret';

export function defaultDataDir(): string {
  return process.env.STRATUS_DATA_DIR ?? join(homedir(), '.stratus');
}

export function defaultConfig(overrides: Partial<StratusConfig> = {}): StratusConfig {
  const envPassword = process.env.STRATUS_ADMIN_PASSWORD;
  return {
    host: '127.0.0.1',
    port: DEFAULT_PORT,
    dataDir: defaultDataDir(),
    adminPassword: envPassword ?? DEFAULT_ADMIN_PASSWORD,
    adminPasswordExplicit: envPassword !== undefined,
    region: 'RegionOne',
    tokenTtl: 3600,
    logLevel: 'info',
    ...overrides,
  };
}
