import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startTestCloud, type TestCloud } from '../support/cloud.js';
import { dashboardSkipReason, launchBrowser, pageHelpers, type TestBrowser } from './browser.js';

// The DESIGN.md §1 journey through the dashboard, in Debian's Chromium against an in-process
// cloud on the fake data plane: every click goes through the public APIs with a Keystone token.
// Screenshots go to $STRATUS_SCREENSHOTS when set (else to the temp dir, removed afterwards).

const skip = dashboardSkipReason();

let cloud: TestCloud;
let browser: TestBrowser;
let page: Page;
let shots: string;
const consoleErrors: string[] = [];

before(async () => {
  if (skip) return;
  cloud = await startTestCloud({ config: { adminPassword: 'secret' } });
  browser = await launchBrowser(new URL(cloud.url).origin);
  ({ page, shots } = browser);
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
});

after(async () => {
  await browser?.close();
  await cloud?.close();
});

const { nav, dialog, row } = pageHelpers(() => page);

async function login(user: string, project = user) {
  await page.goto(`${cloud.url}/`);
  await page.waitForURL(/\/login/);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', 'secret');
  await page.fill('input[name=project]', project);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

test('a wrong password shows the error and what to do next', { skip }, async () => {
  await page.goto(`${cloud.url}/project/instances`);
  await page.waitForURL(/\/login\?next=/);
  await page.fill('input[name=username]', 'demo');
  await page.fill('input[name=password]', 'wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /not right[\s\S]*password secret/);
});

test('demo logs in and sees usage against quotas', { skip }, async () => {
  await login('demo');
  const instances = page.locator('[data-quota="Instances"]');
  await instances.waitFor();
  assert.match(await instances.innerText(), /0 of 10/);
  await page.locator('[data-quota="Floating IPs"]').waitFor();
  await page.locator('[data-quota="Volumes"]').waitFor();
  assert.equal(await page.getByRole('combobox', { name: 'Project' }).inputValue(), (await projectId('demo'))!);
  assert.equal(await page.locator('aside').getByRole('link', { name: 'Projects & Users' }).count(), 0, 'identity admin is for admins only');
  assert.equal(await page.locator('aside').getByRole('link', { name: 'Metrics' }).count(), (await hasMetric()) ? 1 : 0, 'metrics only with a metric service');
  await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });
  // The session survives a reload (sessionStorage), and the app's routes are served by the gateway.
  await page.reload();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
});

test('creating a key pair downloads its private key once', { skip }, async () => {
  await nav('Key Pairs');
  await page.getByRole('button', { name: 'Create Key Pair' }).click();
  await dialog('Create Key Pair').locator('input[name=keypair_name]').fill('k1');
  const [download] = await Promise.all([page.waitForEvent('download'), dialog('Create Key Pair').getByRole('button', { name: 'Create Key Pair' }).click()]);
  assert.equal(download.suggestedFilename(), 'k1.pem');
  const pem = readFileSync((await download.path())!, 'utf8');
  assert.match(pem, /PRIVATE KEY/);
  await row('k1').waitFor();
  const listed = await cloud.req('GET', '/compute/v2.1/os-keypairs', { token: await cloud.token('demo') });
  assert.deepEqual(listed.body.keypairs.map((k: any) => k.keypair.name), ['k1']);
});

test('an image uploaded from a file becomes active', { skip }, async () => {
  await nav('Images');
  await page.getByRole('button', { name: 'Create Image' }).click();
  const d = dialog('Create Image');
  await d.locator('input[name=image_name]').fill('tiny');
  await d.locator('input[name=image_file]').setInputFiles({ name: 'tiny.img', mimeType: 'application/octet-stream', buffer: Buffer.alloc(64 * 1024, 7) });
  await d.locator('select[name=disk_format]').selectOption('raw');
  await d.getByRole('button', { name: 'Upload' }).click();
  await row('tiny').getByText('active').waitFor();
  assert.match(await row('tiny').innerText(), /64\.0 KiB/);
});

test('the launch wizard starts an instance that becomes ACTIVE, with a console log', { skip }, async () => {
  await nav('Instances');
  await page.getByRole('button', { name: 'Launch Instance' }).click();
  const d = dialog('Launch Instance');
  await d.locator('input[name=name]').fill('vm1');
  await d.getByRole('button', { name: 'Source' }).click();
  await d.locator('select[name=image]').selectOption({ label: 'tiny (64.0 KiB, raw)' });
  await d.getByRole('button', { name: 'Flavor' }).click();
  const nano = await d.locator('select[name=flavor] option', { hasText: 'm1.nano' }).getAttribute('value');
  await d.locator('select[name=flavor]').selectOption(nano!);
  await d.getByRole('button', { name: 'Networks' }).click();
  assert.equal(await d.locator('input[name=net-private]').isChecked(), true, 'the only tenant network is preselected');
  await d.getByRole('button', { name: 'Key Pair' }).click();
  await d.locator('select[name=key]').selectOption('k1');
  await d.getByRole('button', { name: 'Configuration' }).click();
  await d.locator('textarea[name=user_data]').fill('#!/bin/sh\necho hello');
  await d.getByText('Ready to launch.').waitFor();
  await d.getByRole('button', { name: 'Launch Instance' }).click();
  // The list polls while the server builds, until it is ACTIVE with an address on private.
  await row('vm1').getByText('ACTIVE', { exact: true }).waitFor();
  assert.match(await row('vm1').innerText(), /10\.0\.0\.\d+ · private[\s\S]*m1\.nano[\s\S]*k1/);
  const server = (await cloud.req('GET', '/compute/v2.1/servers/detail', { token: await cloud.token('demo') })).body.servers[0];
  assert.equal(server.name, 'vm1');
  assert.equal(server.key_name, 'k1');
  await row('vm1').getByRole('link', { name: 'vm1' }).click();
  await page.getByRole('heading', { name: 'Instance vm1' }).waitFor();
  await page.getByRole('button', { name: 'Console Log' }).click();
  const log = page.getByLabel('Console log');
  await page.waitForFunction(() => (document.querySelector('.console-log')?.textContent ?? '').length > 20);
  assert.ok((await log.innerText()).split('\n').length > 1, 'the console log has lines');
});

test('a volume is created and attached to the instance', { skip }, async () => {
  await nav('Volumes');
  await page.getByRole('button', { name: 'Create Volume' }).click();
  await dialog('Create Volume').locator('input[name=volume_name]').fill('vol1');
  await dialog('Create Volume').getByRole('button', { name: 'Create Volume' }).click();
  await row('vol1').getByText('available').waitFor();
  await row('vol1').getByRole('button', { name: 'Attach' }).click();
  await dialog('Attach vol1').locator('select[name=server] option', { hasText: 'vm1' }).waitFor({ state: 'attached' });
  await dialog('Attach vol1').getByRole('button', { name: 'Attach Volume' }).click();
  await row('vol1').getByText('in-use').waitFor();
  assert.match(await row('vol1').innerText(), /vm1 on \/dev\/vd[b-z]/);
  // Detach and attach again: both go through Nova's os-volume_attachments.
  await row('vol1').getByRole('button', { name: 'Detach' }).click();
  await row('vol1').getByText('available').waitFor();
  await row('vol1').getByRole('button', { name: 'Attach' }).click();
  await dialog('Attach vol1').locator('select[name=server] option', { hasText: 'vm1' }).waitFor({ state: 'attached' });
  await dialog('Attach vol1').getByRole('button', { name: 'Attach Volume' }).click();
  await row('vol1').getByText('in-use').waitFor();
});

test('a floating IP is allocated and associated with the instance', { skip }, async () => {
  await nav('Instances');
  await row('vm1').getByRole('button', { name: 'Associate Floating IP' }).click();
  const d = dialog('Associate a floating IP with vm1');
  await d.locator('select[name=floating_ip]').waitFor();
  await d.getByRole('button', { name: 'Associate' }).click();
  await d.waitFor({ state: 'detached' });
  await nav('Floating IPs');
  const fip = page.locator('tr[data-row^="172.24.4."]');
  await fip.getByText(/vm1 \(10\.0\.0\.\d+\)/).waitFor();
  const fips = (await cloud.req('GET', '/networking/v2.0/floatingips', { token: await cloud.token('demo') })).body.floatingips;
  assert.equal(fips.length, 1);
  assert.ok(fips[0].port_id, 'associated with the server port');
});

test('the topology graph shows the router, the network and the instance', { skip }, async () => {
  await nav('Network Topology');
  for (const node of ['router:router1', 'network:private', 'instance:vm1']) await page.locator(`[data-node="${node}"]`).waitFor();
  await page.locator('[data-node^="network:public"]').waitFor();
  assert.match(await page.locator('svg.topology').textContent() ?? '', /↔ 172\.24\.4\.\d+/, 'the floating IP labels the instance port');
  await page.locator('svg.topology').screenshot({ path: join(shots, 'topology.png') });
  // The overview now counts what the journey made.
  await nav('Overview');
  await page.locator('[data-quota="Instances"]').getByText('1 of 10').waitFor();
  await page.locator('[data-quota="Floating IPs"]').getByText('1 of 50').waitFor();
  await page.screenshot({ path: join(shots, 'overview-in-use.png'), fullPage: true });
});

test('an object is uploaded into a pseudo-folder and downloaded back', { skip }, async () => {
  await nav('Containers');
  await page.getByRole('button', { name: 'Create Container' }).click();
  await dialog('Create Container').locator('input[name=container_name]').fill('c1');
  await dialog('Create Container').getByRole('button', { name: 'Create' }).click();
  await row('c1').getByRole('link', { name: 'c1' }).click();
  await page.getByRole('button', { name: 'Create Folder' }).click();
  await dialog('Create Folder').locator('input[name=folder_name]').fill('docs');
  await dialog('Create Folder').getByRole('button', { name: 'Create Folder' }).click();
  await row('docs/').getByRole('link').click();
  await page.waitForURL(/\/project\/containers\/c1\/docs\/?$/);
  await page.getByRole('button', { name: 'Upload File' }).click();
  const body = `hello from the dashboard ${Date.now()}\n`;
  await dialog('Upload File').locator('input[name=object_file]').setInputFiles({ name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from(body) });
  await dialog('Upload File').getByRole('button', { name: 'Upload File' }).click();
  await row('hello.txt').waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), row('hello.txt').getByRole('button', { name: 'Download' }).click()]);
  assert.equal(download.suggestedFilename(), 'hello.txt');
  assert.equal(readFileSync((await download.path())!, 'utf8'), body);
  const demo = await projectId('demo');
  const viaApi = await cloud.req('GET', `/swift/v1/AUTH_${demo}/c1/docs/hello.txt`, { token: await cloud.token('demo') });
  assert.equal(viaApi.text, body);
});

test('admin logs in, sees identity admin, and creates a project', { skip }, async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('stratus.session')), null, 'the token is forgotten');
  await login('admin');
  await nav('Projects & Users');
  await row('demo').waitFor();
  await page.getByRole('button', { name: 'Create Project' }).click();
  await dialog('Create Project').locator('input[name=project_name]').fill('web');
  await dialog('Create Project').locator('input[name=description]').fill('made in the dashboard');
  await dialog('Create Project').getByRole('button', { name: 'Create' }).click();
  await row('web').waitFor();
  const listed = await cloud.req('GET', '/identity/v3/projects?name=web', { token: await cloud.token('admin') });
  assert.equal(listed.body.projects[0]?.description, 'made in the dashboard');
  assert.deepEqual(consoleErrors.filter((e) => !/Failed to load resource/.test(e)), [], 'no script errors in the page');
});

async function hasMetric(): Promise<boolean> {
  const r = await cloud.req('GET', '/identity/v3/auth/catalog', { token: await cloud.token('demo') });
  return r.body.catalog.some((s: { type: string }) => s.type === 'metric');
}

async function projectId(name: string): Promise<string | undefined> {
  const r = await cloud.req('GET', `/identity/v3/projects?name=${name}`, { token: await cloud.token('admin') });
  return r.body.projects[0]?.id;
}

test('logging in from an admin page sends the admin back to it', { skip }, async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login/);
  await page.goto(`${cloud.url}/admin/identity`);
  await page.waitForURL(/\/login\?next=%2Fadmin%2Fidentity$/);
  await page.fill('input[name=username]', 'admin');
  await page.fill('input[name=password]', 'secret');
  await page.fill('input[name=project]', 'admin');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/admin\/identity$/);
  await row('demo').waitFor();
});
