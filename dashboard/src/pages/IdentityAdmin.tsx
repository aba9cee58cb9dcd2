import { useState } from 'react';
import type { Project, Role, RoleAssignment, User } from '../api/types';
import { Table } from '../components/Table';
import { Button, Field, Modal, Page, Picker, Tabs } from '../components/ui';
import { act, confirmAct, useApp } from '../lib/app';
import { useLoad } from '../lib/hooks';

type Tab = 'projects' | 'users' | 'roles' | 'assignments';

/** Keystone administration (admin only): projects, users, roles and role assignments. */
export function IdentityAdmin() {
  const app = useApp();
  const { api } = app;
  const [tab, setTab] = useState<Tab>('projects');
  const all = useLoad(async () => {
    const [projects, users, roles, assignments] = await Promise.all([
      api.get<{ projects: Project[] }>('identity', '/projects').then((r) => r.projects),
      api.get<{ users: User[] }>('identity', '/users').then((r) => r.users),
      api.get<{ roles: Role[] }>('identity', '/roles').then((r) => r.roles),
      api.get<{ role_assignments: RoleAssignment[] }>('identity', '/role_assignments?include_names=true').then((r) => r.role_assignments),
    ]);
    return { projects, users, roles, assignments };
  }, []);
  const d = all.data;
  const view = <T,>(rows: T[] | undefined) => ({ ...all, data: rows });
  const [dialog, setDialog] = useState<'project' | 'user' | 'grant'>();
  const [form, setForm] = useState({ name: '', description: '', password: '', email: '', project: '', user: '', role: '' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const open = (k: 'project' | 'user' | 'grant') => {
    setForm({ name: '', description: '', password: '', email: '', project: d?.projects[0]?.id ?? '', user: d?.users[0]?.id ?? '', role: d?.roles.find((r) => r.name === 'member')?.id ?? d?.roles[0]?.id ?? '' });
    setDialog(k);
  };
  const submit = async () => {
    let ok = false;
    if (dialog === 'project') {
      ok = await act(app, `Created project ${form.name}`, () => api.post('identity', '/projects', { project: { name: form.name.trim(), description: form.description, domain_id: 'default', enabled: true } }));
    } else if (dialog === 'user') {
      ok = await act(app, `Created user ${form.name}`, async () => {
        const u = await api.post<{ user: User }>('identity', '/users', {
          user: { name: form.name.trim(), password: form.password, domain_id: 'default', enabled: true, ...(form.email ? { email: form.email } : {}), ...(form.project ? { default_project_id: form.project } : {}) },
        });
        if (form.project && form.role) await api.put('identity', `/projects/${form.project}/users/${u.user.id}/roles/${form.role}`);
      });
    } else if (dialog === 'grant') {
      ok = await act(app, 'Role granted', () => api.put('identity', `/projects/${form.project}/users/${form.user}/roles/${form.role}`));
    }
    if (ok) all.reload();
    return ok;
  };
  const remove = (what: string, path: string) => confirmAct(app, `Delete ${what}?`, `Deleted ${what}`, () => api.del('identity', path), all.reload);
  const projectName = (id?: string) => d?.projects.find((p) => p.id === id)?.name ?? id?.slice(0, 8) ?? '-';
  return (
    <Page
      title="Identity"
      actions={
        <>
          <Button onClick={() => open('grant')}>Grant Role</Button>
          <Button onClick={() => open('user')}>Create User</Button>
          <Button kind="primary" onClick={() => open('project')}>
            Create Project
          </Button>
        </>
      }
    >
      <Tabs
        tabs={[
          { id: 'projects', label: 'Projects' },
          { id: 'users', label: 'Users' },
          { id: 'roles', label: 'Roles' },
          { id: 'assignments', label: 'Role Assignments' },
        ]}
        value={tab}
        onChange={setTab}
      />
      {tab === 'projects' && (
        <Table
          rows={view(d?.projects)}
          rowKey={(p) => p.id}
          rowName={(p) => p.name}
          empty="No projects."
          columns={[
            { title: 'Name', cell: (p) => p.name },
            { title: 'Description', cell: (p) => p.description || '-' },
            { title: 'Domain', cell: (p) => p.domain_id },
            { title: 'Enabled', cell: (p) => (p.enabled ? 'yes' : 'no') },
          ]}
          actions={(p) => (
            <span className="row-actions">
              <Button onClick={() => void app.switchProject(p.id)}>Switch to</Button>
              <Button kind="danger" onClick={() => remove(`project ${p.name}`, `/projects/${p.id}`)}>
                Delete
              </Button>
            </span>
          )}
        />
      )}
      {tab === 'users' && (
        <Table
          rows={view(d?.users)}
          rowKey={(u) => u.id}
          rowName={(u) => u.name}
          empty="No users."
          columns={[
            { title: 'Name', cell: (u) => u.name },
            { title: 'Email', cell: (u) => u.email ?? '-' },
            { title: 'Default project', cell: (u) => projectName(u.default_project_id) },
            { title: 'Enabled', cell: (u) => (u.enabled ? 'yes' : 'no') },
          ]}
          actions={(u) => (
            <Button kind="danger" onClick={() => remove(`user ${u.name}`, `/users/${u.id}`)}>
              Delete
            </Button>
          )}
        />
      )}
      {tab === 'roles' && <Table rows={view(d?.roles)} rowKey={(r) => r.id} rowName={(r) => r.name} empty="No roles." columns={[{ title: 'Name', cell: (r) => r.name }, { title: 'ID', cell: (r) => <code>{r.id}</code> }]} />}
      {tab === 'assignments' && (
        <Table
          rows={view(d?.assignments)}
          rowKey={(a) => `${a.role.id}/${a.user?.id ?? a.group?.id}/${a.scope.project?.id ?? a.scope.domain?.id ?? 'system'}`}
          empty="No role assignments."
          columns={[
            { title: 'User', cell: (a) => a.user?.name ?? a.user?.id ?? `group ${a.group?.id}` },
            { title: 'Role', cell: (a) => a.role.name ?? a.role.id },
            { title: 'Scope', cell: (a) => (a.scope.project ? `project ${a.scope.project.name ?? a.scope.project.id}` : a.scope.domain ? `domain ${a.scope.domain.id}` : 'system') },
          ]}
          actions={(a) =>
            a.user && a.scope.project ? (
              <Button kind="danger" onClick={() => remove(`the ${a.role.name ?? ''} role of ${a.user!.name ?? ''}`, `/projects/${a.scope.project!.id}/users/${a.user!.id}/roles/${a.role.id}`)}>
                Revoke
              </Button>
            ) : null
          }
        />
      )}
      {dialog && (
        <Modal title={dialog === 'project' ? 'Create Project' : dialog === 'user' ? 'Create User' : 'Grant a Role'} onClose={() => setDialog(undefined)} onSubmit={submit} submitLabel={dialog === 'grant' ? 'Grant' : 'Create'}>
          {dialog !== 'grant' && (
            <Field label="Name">
              <input name={`${dialog}_name`} value={form.name} onChange={set('name')} required autoFocus />
            </Field>
          )}
          {dialog === 'project' && (
            <Field label="Description">
              <input name="description" value={form.description} onChange={set('description')} />
            </Field>
          )}
          {dialog === 'user' && (
            <>
              <Field label="Password">
                <input name="password" type="password" value={form.password} onChange={set('password')} required />
              </Field>
              <Field label="Email">
                <input name="email" type="email" value={form.email} onChange={set('email')} />
              </Field>
            </>
          )}
          {dialog === 'grant' && (
            <Field label="User">
              <Picker name="user" value={form.user} onChange={(id) => setForm({ ...form, user: id })} items={d?.users} label={(u) => u.name} />
            </Field>
          )}
          {dialog !== 'project' && (
            <>
              <Field label={dialog === 'user' ? 'Primary project' : 'Project'}>
                <Picker name="project" value={form.project} onChange={(id) => setForm({ ...form, project: id })} items={d?.projects} label={(p) => p.name} />
              </Field>
              <Field label="Role">
                <Picker name="role" value={form.role} onChange={(id) => setForm({ ...form, role: id })} items={d?.roles} label={(r) => r.name} />
              </Field>
            </>
          )}
        </Modal>
      )}
    </Page>
  );
}
