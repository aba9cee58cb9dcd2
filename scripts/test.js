#!/usr/bin/env node
// Runs the compiled test files with node:test and prints its summary (CI reads it).
//   node scripts/test.js            all suites: unit, api, kube, clients, dataplane, dashboard
//   node scripts/test.js unit api   only those groups
// Groups: unit = dist/src/**/*.test.js, api = dist/test/api, kube = dist/test/kube (control plane
// with the real kubectl and client-node), clients = dist/test/clients (real openstack CLI, tempest),
// dataplane = dist/test/dataplane (real Linux data plane; those tests skip themselves without root),
// dashboard = dist/test/dashboard (the React app in Debian's Chromium; skips without it, except under CI=true).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const groups = {
  unit: ['dist/src'],
  api: ['dist/test/api'],
  kube: ['dist/test/kube'],
  clients: ['dist/test/clients'],
  dataplane: ['dist/test/dataplane'],
  dashboard: ['dist/test/dashboard'],
};
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(groups);

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = [];
for (const g of wanted) {
  if (!groups[g]) {
    console.error(`unknown test group ${g}; known: ${Object.keys(groups).join(', ')}`);
    process.exit(2);
  }
  for (const d of groups[g]) collect(join(root, d), files);
}
if (files.length === 0) {
  console.error('no compiled tests found; run `npm run build` first');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
