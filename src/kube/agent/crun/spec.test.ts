import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { logStream, parseLogLine, selectLines } from './logs.js';
import { expandVars, hostsFile, podHostname, resolvConf, resolveArgv, resolveCaps, resolveEnv, resolveUser, resourceLimits, subPathUnder } from './spec.js';

describe('crun pod spec resolution', () => {
  it('builds argv as Kubernetes does: command replaces ENTRYPOINT (and drops CMD), args replace CMD', () => {
    const img = { entrypoint: ['/entry'], cmd: ['default-arg'] };
    const env = new Map<string, string>([['X', 'ex']]);
    assert.deepEqual(resolveArgv({ command: [], args: [] }, img, env), ['/entry', 'default-arg']);
    assert.deepEqual(resolveArgv({ command: [], args: ['a', '$(X)'] }, img, env), ['/entry', 'a', 'ex']);
    assert.deepEqual(resolveArgv({ command: ['sh'], args: [] }, img, env), ['sh']);
    assert.deepEqual(resolveArgv({ command: ['sh'], args: ['-c', 'x'] }, img, env), ['sh', '-c', 'x']);
    assert.throws(() => resolveArgv({ command: [], args: [] }, {}, env), /no command specified/);
  });

  it('expands $(VAR), keeps unknown references and $$', () => {
    const env = new Map([['A', '1']]);
    assert.equal(expandVars('$(A)-$(B)-$$(A)', env), '1-$(B)-$(A)');
  });

  it('merges env: defaults, image, then container (which may reference earlier values)', () => {
    const env = resolveEnv({ env: ['PATH=/bin', 'A=img'] }, [{ name: 'A', value: 'mine' }, { name: 'B', value: '$(A)+$(HOSTNAME)' }], 'h1');
    assert.equal(env.get('PATH'), '/bin');
    assert.equal(env.get('A'), 'mine');
    assert.equal(env.get('B'), 'mine+h1');
  });

  it('resolves users from securityContext, numeric image users, and names in the image', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crun-spec-'));
    try {
      mkdirSync(join(dir, 'etc'));
      writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0::/:/bin/sh\nwww:x:33:34::/:/bin/false\n');
      writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nstaff:x:50:\n');
      assert.deepEqual(resolveUser(undefined, undefined, [dir]), { uid: 0, gid: 0 });
      assert.deepEqual(resolveUser(undefined, 'www', [dir]), { uid: 33, gid: 34 });
      assert.deepEqual(resolveUser(undefined, 'www:staff', [dir]), { uid: 33, gid: 50 });
      assert.deepEqual(resolveUser(undefined, '1000:1001', [dir]), { uid: 1000, gid: 1001 });
      assert.deepEqual(resolveUser({ runAsUser: 7 }, 'www', [dir]), { uid: 7, gid: 34 });
      assert.throws(() => resolveUser(undefined, 'ghost', [dir]), /not in its \/etc\/passwd/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('maps resources to cgroup limits', () => {
    assert.deepEqual(resourceLimits({ limits: { cpu: '500m', memory: '64Mi' } }, 100), { cpuShares: 512, cpuPeriod: 100_000, cpuQuota: 50_000, memory: 64 * 2 ** 20, pids: 100 });
    assert.deepEqual(resourceLimits({ requests: { cpu: '2' } }, undefined), { cpuShares: 2048 });
    assert.deepEqual(resourceLimits(undefined, undefined), { cpuShares: 2 });
  });

  it('adds and drops capabilities', () => {
    const caps = resolveCaps({ capabilities: { add: ['NET_ADMIN'], drop: ['CAP_NET_RAW'] } });
    assert.ok(caps.includes('CAP_NET_ADMIN') && !caps.includes('CAP_NET_RAW') && caps.includes('CAP_CHOWN'));
    assert.deepEqual(resolveCaps({ capabilities: { drop: ['ALL'] } }), []);
    assert.ok(resolveCaps({ privileged: true }).includes('CAP_SYS_ADMIN'));
  });

  it('writes resolv.conf and hosts; checks subPath and hostnames', () => {
    assert.equal(resolvConf(['10.96.0.10'], ['ns.svc.cluster.local', 'svc.cluster.local'], ['ndots:5']), 'nameserver 10.96.0.10\nsearch ns.svc.cluster.local svc.cluster.local\noptions ndots:5\n');
    assert.match(hostsFile('10.0.0.5', 'web'), /^10\.0\.0\.5\tweb$/m);
    assert.match(hostsFile('10.0.0.5', 'web', 'web.sub.ns.svc.cluster.local'), /^10\.0\.0\.5\tweb\.sub\.ns\.svc\.cluster\.local\tweb$/m);
    assert.equal(subPathUnder('/v', 'a/b'), '/v/a/b');
    assert.throws(() => subPathUnder('/v', '../etc'), /inside the volume/);
    assert.throws(() => subPathUnder('/v', '/etc'), /inside the volume/);
    assert.equal(podHostname('x'.repeat(70)).length, 63);
  });
});

describe('crun pod logs', () => {
  const text = ['2025-01-01T00:00:00.000000000Z stdout F one', '2025-01-01T00:00:01.000000000Z stderr F two', `${new Date().toISOString().replace('Z', '000000Z')} stdout F three`, ''].join('\n');

  it('parses CRI lines and applies tail and since', () => {
    assert.deepEqual(parseLogLine('2025-01-01T00:00:00.000000000Z stderr F a b'), { ts: '2025-01-01T00:00:00.000000000Z', ms: Date.parse('2025-01-01T00:00:00Z'), stream: 'stderr', text: 'a b' });
    assert.equal(parseLogLine('garbage'), undefined);
    assert.deepEqual(selectLines(text, { tailLines: 2 }).map((l) => l.text), ['two', 'three']);
    assert.deepEqual(selectLines(text, { sinceSeconds: 60 }).map((l) => l.text), ['three']);
    assert.deepEqual(selectLines(text, { tailLines: 0 }), []);
  });

  it('streams with timestamps, limitBytes, and follow until done', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crun-logs-'));
    try {
      const f = join(dir, 'log');
      writeFileSync(f, text);
      const read = async (s: NodeJS.ReadableStream) => {
        let out = '';
        for await (const b of s) out += b.toString();
        return out;
      };
      assert.equal(await read(logStream(f, { timestamps: true, tailLines: 1 }, () => true)), text.split('\n')[2]!.replace(' stdout F', '') + '\n');
      assert.equal(await read(logStream(f, { limitBytes: 5 }, () => true)), 'one\nt');
      let done = false;
      const s = logStream(f, { follow: true, tailLines: 0 }, () => done, 10);
      setTimeout(() => writeFileSync(f, '2025-01-01T00:00:02.000000000Z stdout F four\n', { flag: 'a' }), 30);
      setTimeout(() => (done = true), 80);
      assert.equal(await read(s), 'four\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
