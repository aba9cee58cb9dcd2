import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { which } from '../dataplane/probe.js';
import { buildConfigDriveImage, configDrive, isoVolumeLabel, writeConfigDriveFiles } from './config-drive.js';

// genisoimage (and isoinfo, to read the image back) come from scripts/install-deps; CI installs
// them, so there the test must run, not skip.
const tools = Boolean(which('genisoimage') && which('isoinfo'));
const skip = tools ? false : process.env.CI ? false : 'genisoimage/isoinfo not installed (scripts/install-deps)';

describe('config drive image', () => {
  const work = mkdtempSync(join(tmpdir(), 'stratus-cd-'));
  after(() => rmSync(work, { recursive: true, force: true }));

  const files = {
    'openstack/latest/meta_data.json': JSON.stringify({ uuid: '11111111-2222-4333-8444-555555555555', hostname: 'vm1.novalocal' }),
    'openstack/latest/user_data': '#!/bin/sh\necho \xe9\xff\n',
    'openstack/2012-08-10/vendor_data2.json': '{}',
    'ec2/latest/meta-data.json': '{"instance-id":"i-0000002a"}',
  };
  /** A file of the image, read back with cdrkit's isoinfo through its Rock Ridge names. */
  const extract = (iso: string, name: string) => execFileSync('isoinfo', ['-R', '-i', iso, '-x', `/${name}`]);
  /** Every path in the image (directories too), sorted. */
  const list = (iso: string) => execFileSync('isoinfo', ['-R', '-f', '-i', iso]).toString().split('\n').filter(Boolean).sort();

  it('is ISO 9660 labelled config-2, with every file byte for byte under its own name', { skip }, async () => {
    const dir = join(work, 'a');
    const iso = join(work, 'a.iso');
    await configDrive(dir, iso, files);
    assert.equal(isoVolumeLabel(iso), 'config-2');
    for (const [name, content] of Object.entries(files)) assert.deepEqual(extract(iso, name), Buffer.from(content, 'latin1'), name);
    assert.deepEqual(list(iso).filter((l) => /\.json$|user_data$/.test(l)), Object.keys(files).map((n) => `/${n}`).sort());
    assert.deepEqual(readdirSync(work).filter((n) => n.endsWith('.tmp')), [], 'no half-written image is left');
  });

  it('replaces an older drive wholly: files gone from the new set are gone from the image', { skip }, async () => {
    const dir = join(work, 'b');
    const iso = join(work, 'b.iso');
    await configDrive(dir, iso, files);
    await configDrive(dir, iso, { 'openstack/latest/meta_data.json': '{"uuid":"x"}' });
    assert.equal(extract(iso, 'openstack/latest/meta_data.json').toString(), '{"uuid":"x"}');
    assert.equal(existsSync(join(dir, 'openstack/latest/user_data')), false);
    assert.deepEqual(list(iso).filter((l) => /\.json$|user_data$/.test(l)), ['/openstack/latest/meta_data.json']);
  });

  it('refuses names that leave the drive, before writing anything outside it', () => {
    const dir = join(work, 'c');
    for (const bad of ['../escape', 'openstack/../../escape', '/../escape']) {
      assert.throws(() => writeConfigDriveFiles(dir, { [bad]: 'x' }), /leaves the drive/);
      assert.equal(existsSync(join(work, 'escape')), false);
    }
  });

  it('reads no label from what is not ISO 9660, and says what to install when genisoimage is missing', async () => {
    const raw = join(work, 'raw.img');
    writeFileSync(raw, Buffer.alloc(64 * 1024));
    assert.equal(isoVolumeLabel(raw), null);
    writeFileSync(raw, Buffer.alloc(100));
    assert.equal(isoVolumeLabel(raw), null);
    const path = process.env.PATH;
    process.env.PATH = join(work, 'no-tools');
    try {
      await assert.rejects(buildConfigDriveImage(join(work, 'a'), join(work, 'none.iso')), /genisoimage/);
    } finally {
      process.env.PATH = path;
    }
    assert.equal(existsSync(join(work, 'none.iso')), false);
    assert.ok(statSync(raw).size === 100);
  });
});
