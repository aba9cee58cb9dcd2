import { AGE_COLUMN, NAME_COLUMN, column, obj, objs, since, str } from './format.js';
import type { Printer } from './index.js';

/**
 * Printers of the RBAC kinds, as kubectl shows them: roles and cluster roles `NAME, CREATED AT`
 * (an RFC 3339 time, not an age); bindings `NAME, ROLE (Kind/name), AGE`, and with `-o wide`
 * the `USERS`, `GROUPS` and `SERVICEACCOUNTS` (`namespace/name`) of their subjects.
 */

const CREATED_AT = column('Created At', 'date', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

export const rolePrinter: Printer = {
  columns: [NAME_COLUMN, CREATED_AT],
  cells: (o) => [str(o.metadata.name), str(o.metadata.creationTimestamp)],
};

export const roleBindingPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Role', 'string', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
    AGE_COLUMN,
    column('Users', 'string', 'Users in the roleBinding', 1),
    column('Groups', 'string', 'Groups in the roleBinding', 1),
    column('ServiceAccounts', 'string', 'ServiceAccounts in the roleBinding', 1),
  ],
  cells: (o, now) => {
    const ref = obj(o.roleRef);
    const subjects = objs(o.subjects);
    const of = (kind: string) => subjects.filter((s) => s.kind === kind);
    return [
      str(o.metadata.name),
      `${str(ref.kind)}/${str(ref.name)}`,
      since(o.metadata.creationTimestamp, now),
      of('User').map((s) => str(s.name)).join(', '),
      of('Group').map((s) => str(s.name)).join(', '),
      of('ServiceAccount').map((s) => `${str(s.namespace)}/${str(s.name)}`).join(', '),
    ];
  },
};
