import type { Identity } from './index.js';
import { KIND } from './models.js';
import { hashPassword } from './passwords.js';
import { DEFAULT_DOMAIN_ID } from './projects.js';
import { SYSTEM_ALL } from './assignments.js';
import type { ActorType, TargetType } from './models.js';

export interface BootstrapOptions {
  adminPassword: string;
  /** The password was given explicitly (flag or env): reset admin's to it, as keystone-manage does. */
  resetAdminPassword: boolean;
  region: string;
}

const MARK = 'bootstrap';
const VERSION = 1;

/**
 * First-start contents, as devstack creates them (reference/openstack-api.md §11): the Default
 * domain, roles admin ⊃ member ⊃ reader plus service, ResellerAdmin and anotherrole, projects
 * admin, demo, alt_demo, service and invisible_to_admin, and users admin, demo, alt_demo,
 * demo_reader, alt_demo_member and alt_demo_reader, all with the admin password.
 */
// NOTE: devstack makes alt_demo an admin of alt_demo, which under legacy policy is a cloud
// admin. Stratus gives alt_demo member instead, so alt_demo is a true second tenant for RBAC.
export async function bootstrap(id: Identity, opts: BootstrapOptions): Promise<{ created: boolean }> {
  const done = await id.ctx.store.get<{ version: number }>(KIND.secret, MARK);
  if (done) {
    if (opts.resetAdminPassword) {
      const admin = await id.users.byName(DEFAULT_DOMAIN_ID, 'admin');
      if (admin && !(await id.users.checkPassword(admin, opts.adminPassword)))
        await id.users.update(admin.id, { password: opts.adminPassword });
    }
    return { created: false };
  }

  if (!(await id.domains.find(DEFAULT_DOMAIN_ID)))
    await id.domains.create({ id: DEFAULT_DOMAIN_ID, name: 'Default', description: 'The default domain' });

  const role = async (name: string) => (await id.roles.byName(name)) ?? (await id.roles.create({ name }));
  const [admin, member, reader, , , another] = await Promise.all(
    ['admin', 'member', 'reader', 'service', 'ResellerAdmin', 'anotherrole'].map(role),
  );
  await id.roles.imply(admin!.id, member!.id);
  await id.roles.imply(member!.id, reader!.id);

  const project = async (name: string, description = '') =>
    (await id.projects.byName(DEFAULT_DOMAIN_ID, name)) ?? (await id.projects.create({ name, description }));
  const projects = {
    admin: await project('admin', 'Bootstrap project for initializing the cloud.'),
    demo: await project('demo'),
    alt_demo: await project('alt_demo'),
    service: await project('service'),
    invisible_to_admin: await project('invisible_to_admin'),
  };

  const names = ['admin', 'demo', 'alt_demo', 'demo_reader', 'alt_demo_member', 'alt_demo_reader'];
  // Every bootstrap user has the admin password (as in devstack), so one hash serves them all.
  const passwordHash = await hashPassword(opts.adminPassword);
  const users = await Promise.all(
    names.map(async (name) => {
      const existing = await id.users.byName(DEFAULT_DOMAIN_ID, name);
      return existing ?? id.users.create({ name, passwordHash, email: `${name}@example.com` });
    }),
  );
  const u = Object.fromEntries(names.map((n, i) => [n, users[i]!.id]));

  const grants: [string, TargetType, string, string][] = [
    [u.admin!, 'project', projects.admin.id, admin!.id],
    [u.admin!, 'project', projects.demo.id, admin!.id],
    [u.admin!, 'domain', DEFAULT_DOMAIN_ID, admin!.id],
    [u.admin!, 'system', SYSTEM_ALL, admin!.id],
    [u.demo!, 'project', projects.demo.id, member!.id],
    [u.demo!, 'project', projects.demo.id, another!.id],
    [u.demo!, 'project', projects.invisible_to_admin.id, member!.id],
    [u.demo_reader!, 'project', projects.demo.id, reader!.id],
    [u.alt_demo!, 'project', projects.alt_demo.id, member!.id],
    [u.alt_demo!, 'project', projects.alt_demo.id, another!.id],
    [u.alt_demo_member!, 'project', projects.alt_demo.id, member!.id],
    [u.alt_demo_reader!, 'project', projects.alt_demo.id, reader!.id],
  ];
  for (const [actorId, targetType, targetId, roleId] of grants) {
    await id.assignments.grant({ actorType: 'user' as ActorType, actorId, targetType, targetId, roleId, inherited: false });
  }
  if (!(await id.catalog.regions.get(opts.region))) await id.catalog.createRegion({ id: opts.region });
  await id.ctx.store.create(KIND.secret, MARK, { version: VERSION, at: id.ctx.clock.now() });
  return { created: true };
}
