import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import type { AuthContext } from '../../http/auth.js';
import { cleanAcl, groupsAllow, parseAcl, referrerAllowed } from './acl.js';
import { accountAccess, authorize } from './policy.js';
import { expiresAt, ipInRange, tempUrlValid, type TempUrlParams } from './tempurl.js';
import type { ContainerRecord } from './logic/index.js';

const auth = (projectId: string, roles: string[], extra: Partial<AuthContext> = {}): AuthContext =>
  ({ token: 't', userId: 'u1', userName: 'alice', userDomainId: 'default', methods: ['password'], auditId: 'a', expiresAt: 0, projectId, projectName: 'proj', roles, roleIds: [], ...extra }) as AuthContext;

const container = (readAcl: string | null, writeAcl: string | null = null) => ({ readAcl, writeAcl }) as ContainerRecord;

describe('swift policy', () => {
  it('maps roles to account access', () => {
    assert.equal(accountAccess(null, 'AUTH_p'), 'none');
    assert.equal(accountAccess(auth('p', ['member', 'reader']), 'AUTH_p'), 'owner');
    assert.equal(accountAccess(auth('p', ['reader']), 'AUTH_p'), 'reader');
    assert.equal(accountAccess(auth('q', ['member']), 'AUTH_p'), 'none');
    assert.equal(accountAccess(auth('q', ['ResellerAdmin']), 'AUTH_p'), 'admin');
    assert.equal(accountAccess(auth('q', ['anotherrole']), 'AUTH_q'), 'none');
  });

  it('401 for anonymous, 403 for tokens; ACLs and TempURLs open doors', () => {
    const status = (f: () => void) => {
      try {
        f();
        return 200;
      } catch (e) {
        return (e as { status: number }).status;
      }
    };
    assert.equal(status(() => authorize({ auth: null, tempUrl: false }, 'AUTH_p', 'object:read')), 401);
    assert.equal(status(() => authorize({ auth: auth('q', ['member']), tempUrl: false }, 'AUTH_p', 'object:read')), 403);
    assert.equal(status(() => authorize({ auth: null, tempUrl: true }, 'AUTH_p', 'object:write')), 200);
    assert.equal(status(() => authorize({ auth: null, tempUrl: false }, 'AUTH_p', 'object:read', container('.r:*'))), 200);
    assert.equal(status(() => authorize({ auth: null, tempUrl: false }, 'AUTH_p', 'container:read', container('.r:*'))), 401);
    assert.equal(status(() => authorize({ auth: null, tempUrl: false }, 'AUTH_p', 'container:read', container('.r:*,.rlistings'))), 200);
    assert.equal(status(() => authorize({ auth: auth('q', ['member']), tempUrl: false }, 'AUTH_p', 'object:write', container(null, 'q:*'))), 200);
    assert.equal(status(() => authorize({ auth: auth('p', ['reader']), tempUrl: false }, 'AUTH_p', 'object:write')), 403);
  });

  it('parses and cleans ACLs; matches referrers and groups', () => {
    assert.deepEqual(parseAcl(' .r:* , .rlistings, p:u '), { referrers: ['*'], listings: true, groups: ['p:u'] });
    assert.equal(cleanAcl('read', '.ref:example.com, ,.rlistings'), '.r:example.com,.rlistings');
    assert.throws(() => cleanAcl('write', '.r:*'));
    assert.throws(() => cleanAcl('read', '.r:'));
    assert.equal(referrerAllowed('http://a.example.com/x', ['.example.com']), true);
    assert.equal(referrerAllowed('http://a.example.com/x', ['*', '-a.example.com']), false);
    assert.equal(referrerAllowed(undefined, ['*']), true);
    assert.equal(referrerAllowed('not a url', ['example.com']), false);
    assert.equal(groupsAllow(auth('p', ['member']), ['proj:alice']), true);
    assert.equal(groupsAllow(auth('p', ['member']), ['*:u1']), true);
    assert.equal(groupsAllow(auth('p', ['Member']), ['member']), true);
    assert.equal(groupsAllow(auth('p', ['member']), ['p:bob']), false);
  });
});

describe('swift TempURL', () => {
  const key = 'k';
  const req = (method: string, path = '/v1/AUTH_p/c/o') => ({ method, paths: [path], objectName: 'o', containerPaths: ['/v1/AUTH_p/c'], remoteIp: '10.0.0.5', now: 1000 });
  const sig = (body: string, digest = 'sha256') => createHmac(digest, key).update(body).digest('hex');
  const p = (s: string, extra: Partial<TempUrlParams> = {}): TempUrlParams => ({ sig: s, expires: '2000', inline: false, ...extra });

  it('checks method, path, expiry, digest and key', () => {
    assert.equal(tempUrlValid(p(sig('GET\n2000\n/v1/AUTH_p/c/o')), req('GET'), [key]), true);
    assert.equal(tempUrlValid(p(sig('GET\n2000\n/v1/AUTH_p/c/o', 'sha1')), req('GET'), [key]), true);
    assert.equal(tempUrlValid(p(sig('GET\n2000\n/v1/AUTH_p/c/o')), req('HEAD'), [key]), true, 'GET signatures admit HEAD');
    assert.equal(tempUrlValid(p(sig('GET\n2000\n/v1/AUTH_p/c/o')), req('PUT'), [key]), false);
    assert.equal(tempUrlValid(p(sig('GET\n2000\n/v1/AUTH_p/c/o')), req('GET'), ['other']), false);
    assert.equal(tempUrlValid(p(sig('GET\n2000\n/v1/AUTH_p/c/o')), { ...req('GET'), now: 2001 }, [key]), false);
    assert.equal(tempUrlValid(p(sig('GET\n2000\n/v1/AUTH_p/c/o')), req('GET'), []), false);
  });

  it('prefix and IP-range URLs', () => {
    assert.equal(tempUrlValid(p(sig('GET\n2000\nprefix:/v1/AUTH_p/c/'), { prefix: '' }), req('GET'), [key]), true);
    assert.equal(tempUrlValid(p(sig('GET\n2000\nprefix:/v1/AUTH_p/c/x'), { prefix: 'x' }), req('GET'), [key]), false);
    assert.equal(tempUrlValid(p(sig('ip=10.0.0.0/8\nGET\n2000\n/v1/AUTH_p/c/o'), { ipRange: '10.0.0.0/8' }), req('GET'), [key]), true);
    assert.equal(ipInRange('10.1.2.3', '10.0.0.0/8'), true);
    assert.equal(ipInRange('::ffff:192.168.1.1', '192.168.1.0/24'), true);
    assert.equal(ipInRange('11.1.2.3', '10.0.0.0/8'), false);
    assert.equal(ipInRange('::1', '::1/128'), true);
  });

  it('expires as an integer or ISO 8601', () => {
    assert.equal(expiresAt('1700000000'), 1700000000);
    assert.equal(expiresAt('2023-11-14T22:13:20Z'), 1700000000);
    assert.equal(expiresAt('soon'), undefined);
  });
});
