import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DASHBOARD_DIR } from '../../src/main.js';

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

/**
 * Why the dashboard tests cannot run here (no browser, or the app not built), or undefined when
 * they can; under CI=true either is a failure instead.
 */
export function dashboardSkipReason(): string | undefined {
  const skip = browserSkipReason() ?? (existsSync(join(DASHBOARD_DIR, 'index.html')) ? undefined : 'dashboard not built (npm run build:dashboard)');
  if (skip && process.env.CI === 'true') throw new Error(`dashboard tests cannot run under CI: ${skip}`);
  return skip;
}

export interface TestBrowser {
  context: BrowserContext;
  /** The first tab: 10 s default timeout, every confirm() accepted. */
  page: Page;
  /** Where screenshots and downloads go; removed by close(). */
  dir: string;
  /** Screenshots: $STRATUS_SCREENSHOTS when set, else under `dir`. */
  shots: string;
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
  const shots = process.env.STRATUS_SCREENSHOTS ?? join(dir, 'shots');
  mkdirSync(shots, { recursive: true });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  page.on('dialog', (d) => void d.accept());
  return {
    context,
    page,
    dir,
    shots,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The locators both dashboard suites use, on whatever page `page()` returns at call time. */
export function pageHelpers(page: () => Page) {
  return {
    /** Follow a sidebar link. */
    nav: (name: string) => page().locator('aside').getByRole('link', { name, exact: true }).click(),
    dialog: (title: string) => page().getByRole('dialog', { name: title }),
    /** A table row by its `rowName`. */
    row: (name: string) => page().locator(`tr[data-row="${name}"]`),
  };
}
