import { execFile } from 'node:child_process';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';

export interface RunResult {
  /** Exit status; null when the process was killed (timeout or signal). */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** True when `cmd` is an executable file in one of the PATH directories. */
export function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * The current environment without any OS_* variable (so a developer's own OpenStack settings
 * never leak into a client run), plus `extra`.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OS_')) env[k] = v;
  return { ...env, ...extra };
}

/**
 * Runs a program asynchronously (never spawnSync: the cloud under test lives in this same
 * process and must keep serving) and resolves with its exit status and output; a non-zero
 * exit does not reject.
 */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && typeof err.code === 'string') return reject(err); // ENOENT and the like: could not start
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : null) : 0,
          signal: err?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
  });
}

/**
 * Whether the client tools a suite needs are installed. When one is missing the test is
 * skipped with an install hint, except under CI (CI=true), where it fails instead.
 * Returns true when the suite can run.
 */
export function requireTools(t: TestContext, tools: { cmd: string; debPackage: string }[]): boolean {
  const missing = tools.filter((x) => !onPath(x.cmd));
  if (missing.length === 0) return true;
  const msg = `${missing.map((x) => `\`${x.cmd}\``).join(' and ')} not on PATH: apt-get install -y ${missing.map((x) => x.debPackage).join(' ')}`;
  if (process.env.CI === 'true') assert.fail(msg);
  t.skip(msg);
  return false;
}

/**
 * Writes a clouds.yaml in `dir` with one cloud per user (named after the user, scoped to the
 * given project, password 'secret') and returns the environment that points the OpenStack CLI
 * at it (OS_* variables of the caller removed).
 */
export function cliEnv(dir: string, authUrl: string, users: Record<string, string>): NodeJS.ProcessEnv {
  const clouds: Record<string, unknown> = {};
  for (const [user, project] of Object.entries(users)) {
    clouds[user] = {
      auth: { auth_url: authUrl, username: user, password: 'secret', project_name: project, user_domain_id: 'default', project_domain_id: 'default' },
      region_name: 'RegionOne',
      identity_api_version: 3,
      interface: 'public',
    };
  }
  const file = join(dir, 'clouds.yaml');
  writeFileSync(file, stringify({ clouds }));
  return cleanEnv({ OS_CLIENT_CONFIG_FILE: file });
}
