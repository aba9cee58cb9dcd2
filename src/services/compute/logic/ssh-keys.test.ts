import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKey, parsePublicKey } from './ssh-keys.js';
import { statusOf } from './states.js';
import { capacity, demand } from './scheduler.js';

// tempest's test_keypair_create_with_pub_key key; `ssh-keygen -l -E md5` prints this fingerprint.
const RSA =
  'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCsNe3/1ILNCqFyfYWDeTKLD6jEXC2OQHLmietMWW+/vdaZq7KZEwO0jhglaFjU1mpqq4Gz5RX156sCTNM9vRbwKAxfsdF9laBYVsex3m3Wmui3uYrKyumsoJn2g9GNnG1PI1mrVjZ61i0GY3khna+wzlTpCCmy5HNlrmbj3XLqBUpipTOXmsnr4sChzC53KCd8LXuwc1i/CZPvF+3XipvAgFSE53pCtLOeB1kYMOBaiUPLQTWXR3JpckqFIQwhIH0zoHlJvZE8hh90XcPojYN56tI0OlrGqojbediJYD0rUsJu4weZpbn8vilb3JuDY+jwssnSA8wzBx3A/8y9Pp1B nova@ubuntu';

describe('ssh keys', () => {
  it('fingerprints an OpenSSH public key as ssh-keygen -E md5 does', () => {
    assert.equal(parsePublicKey(RSA)?.fingerprint, '61:5f:fe:c7:e0:fd:d7:4a:2b:52:6e:a6:f5:bf:da:27');
  });

  it('refuses what is not a public key', () => {
    for (const bad of ['', 'ssh-rsa', 'ssh-rsa !!!', 'ssh-dss AAAAB3NzaC1yc2EAAAADAQABAAABAQ==', RSA.replace('ssh-rsa', 'ssh-ed25519'), RSA.slice(0, 60), 'BEGIN PUBLIC KEY']) {
      assert.equal(parsePublicKey(bad), undefined, bad.slice(0, 30));
    }
  });

  it('generates keys whose public half parses and fingerprints the same', async () => {
    for (const alg of ['ed25519', 'rsa'] as const) {
      const k = await generateKey(alg, 'test');
      assert.equal(parsePublicKey(k.publicKey)?.fingerprint, k.fingerprint);
      assert.match(k.privateKey, /^-----BEGIN (OPENSSH|RSA) PRIVATE KEY-----\n/);
    }
  });
});

describe('server states and placement arithmetic', () => {
  it('maps vm and task states to API statuses as Nova does', () => {
    assert.equal(statusOf('building', 'spawning'), 'BUILD');
    assert.equal(statusOf('active', null), 'ACTIVE');
    assert.equal(statusOf('active', 'rebooting'), 'REBOOT');
    assert.equal(statusOf('active', 'rebooting_hard'), 'HARD_REBOOT');
    assert.equal(statusOf('active', 'resize_prep'), 'RESIZE');
    assert.equal(statusOf('stopped', null), 'SHUTOFF');
    assert.equal(statusOf('resized', null), 'VERIFY_RESIZE');
    assert.equal(statusOf('resized', 'resize_reverting'), 'REVERT_RESIZE');
    assert.equal(statusOf('error', null), 'ERROR');
    assert.equal(statusOf('shelved_offloaded', null), 'SHELVED_OFFLOADED');
  });

  it('applies allocation ratios and reserved memory; flavors ask for disk, ephemeral and swap', () => {
    const p = { id: 'p', name: 'h', seq: 1, hostIp: '', vcpus: 2, memoryMb: 4096, diskGb: 100, cpuRatio: 16, ramRatio: 1.5, diskRatio: 1, reservedMemoryMb: 512, cpuInfo: '', updatedAt: 0 };
    assert.deepEqual(capacity(p), { vcpus: 32, memoryMb: 5376, diskGb: 100 });
    assert.deepEqual(demand({ id: 'f', name: 'f', ram: 512, vcpus: 1, disk: 1, swap: 1536, ephemeral: 2, extraSpecs: {} }), { vcpus: 1, memoryMb: 512, diskGb: 5 });
  });
});
