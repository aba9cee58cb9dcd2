import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or undefined when they can. Without Debian's chromium
 * they skip, except under CI=true, where a missing browser is a failure (install-deps adds it).
 */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing under CI: scripts/install-deps installs Debian's chromium`);
  return `${CHROMIUM} not installed (apt-get install chromium)`;
}

export interface TestBrowser {
  context: BrowserContext;
  /** Where screenshots and downloads go; removed by close(). */
  dir: string;
  close(): Promise<void>;
}

/**
 * Debian's Chromium through playwright-core, headless, with a fresh profile, and kept off the
 * network: no background services, and every request not for `allowedOrigin` (the in-process
 * cloud on 127.0.0.1) is aborted before it leaves the browser.
 */
export async function launchBrowser(allowedOrigin: string): Promise<TestBrowser> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-dashboard-'));
  const profile = join(dir, 'profile');
  let context: BrowserContext;
  try {
    // NOTE: playwright refuses --user-data-dir in args; launchPersistentContext passes it.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      acceptDownloads: true,
      downloadsPath: join(dir, 'downloads'),
      viewport: { width: 1280, height: 800 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
      timeout: 30_000,
    });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  await context.route(
    (url) => url.origin !== allowedOrigin,
    (route) => route.abort('blockedbyclient'),
  );
  return {
    context,
    dir,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
