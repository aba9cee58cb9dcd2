import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import YAML from 'yaml';

export interface CloudEntry {
  name: string;
  username: string;
  project: string;
}

/** The entries `up` writes, after devstack's `devstack` and `devstack-admin`. */
export const CLOUD_ENTRIES: CloudEntry[] = [
  { name: 'stratus', username: 'demo', project: 'demo' },
  { name: 'stratus-admin', username: 'admin', project: 'admin' },
  { name: 'stratus-alt', username: 'alt_demo', project: 'alt_demo' },
  { name: 'stratus-reader', username: 'demo_reader', project: 'demo' },
];

export function cloudsDoc(authUrl: string, password: string, region: string): Record<string, unknown> {
  const clouds: Record<string, unknown> = {};
  for (const e of CLOUD_ENTRIES) {
    clouds[e.name] = {
      region_name: region,
      identity_api_version: 3,
      auth: {
        auth_url: authUrl,
        username: e.username,
        password,
        user_domain_id: 'default',
        project_name: e.project,
        project_domain_id: 'default',
      },
    };
  }
  return clouds;
}

/** Writes (or merges into) a clouds.yaml, keeping every other cloud in it untouched. */
export function mergeCloudsYaml(file: string, clouds: Record<string, unknown>): void {
  let doc: { clouds?: Record<string, unknown> } = {};
  if (existsSync(file)) {
    const parsed = YAML.parse(readFileSync(file, 'utf8')) as unknown;
    if (parsed && typeof parsed === 'object') doc = parsed as typeof doc;
  }
  doc.clouds = { ...(doc.clouds ?? {}), ...clouds };
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, YAML.stringify(doc), { mode: 0o600 });
  renameSync(tmp, file);
}

export function userCloudsYaml(): string {
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'openstack', 'clouds.yaml');
}

/** Reads the password `up` recorded in the data dir's clouds.yaml, if any. */
export function recordedPassword(dataDir: string): string | undefined {
  const file = join(dataDir, 'clouds.yaml');
  if (!existsSync(file)) return undefined;
  const doc = YAML.parse(readFileSync(file, 'utf8')) as { clouds?: Record<string, { auth?: { password?: string } }> };
  return doc.clouds?.['stratus-admin']?.auth?.password;
}

export function openrcText(o: { authUrl: string; user: string; project: string; password: string; region: string }): string {
  const sh = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  return [
    `export OS_AUTH_TYPE=password`,
    `export OS_AUTH_URL=${sh(o.authUrl)}`,
    `export OS_IDENTITY_API_VERSION=3`,
    `export OS_USERNAME=${sh(o.user)}`,
    `export OS_PASSWORD=${sh(o.password)}`,
    `export OS_PROJECT_NAME=${sh(o.project)}`,
    `export OS_USER_DOMAIN_ID=default`,
    `export OS_PROJECT_DOMAIN_ID=default`,
    `export OS_REGION_NAME=${sh(o.region)}`,
    `unset OS_CLOUD`,
    '',
  ].join('\n');
}
