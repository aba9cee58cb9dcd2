import { useState } from 'react';
import { listSecurityGroups } from '../api/compute';
import type { SecurityGroup, SecurityGroupRule } from '../api/types';
import { Table } from '../components/Table';
import { Button, Field, Modal, Page } from '../components/ui';
import { act, confirmAct, useApp } from '../lib/app';
import { useLoad } from '../lib/hooks';
import { shortId } from '../lib/format';

function describeRule(r: SecurityGroupRule): string {
  const proto = r.protocol ?? 'any';
  const ports = r.port_range_min === null ? '' : r.port_range_min === r.port_range_max ? ` port ${r.port_range_min}` : ` ports ${r.port_range_min}-${r.port_range_max}`;
  const remote = r.remote_ip_prefix ?? (r.remote_group_id ? `group ${shortId(r.remote_group_id)}` : 'anywhere');
  return `${r.direction} ${r.ethertype} ${proto}${ports} ${r.direction === 'ingress' ? 'from' : 'to'} ${remote}`;
}

/** Security groups and their rules: create a group, add and delete rules, delete a group. */
export function SecurityGroups() {
  const app = useApp();
  const { api } = app;
  const groups = useLoad(() => listSecurityGroups(api), []);
  const [creating, setCreating] = useState(false);
  const [ruleFor, setRuleFor] = useState<SecurityGroup>();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [rule, setRule] = useState({ direction: 'ingress', protocol: 'tcp', port: '22', remote: '0.0.0.0/0' });
  const create = async () => {
    return act(app, `Created security group ${name}`, () => api.post('network', '/security-groups', { security_group: { name: name.trim(), description } }), groups.reload);
  };
  const addRule = async () => {
    const [min, max] = rule.port.includes('-') ? rule.port.split('-').map(Number) : [Number(rule.port), Number(rule.port)];
    const withPorts = rule.protocol === 'tcp' || rule.protocol === 'udp';
    if (withPorts && rule.port && !(Number.isInteger(min) && Number.isInteger(max))) {
      app.fail(new Error('The port must be a number (22) or a range (8000-8080).'));
      return false;
    }
    const body = {
      security_group_rule: {
        security_group_id: ruleFor!.id,
        direction: rule.direction,
        ethertype: rule.remote.includes(':') ? 'IPv6' : 'IPv4',
        protocol: rule.protocol === 'any' ? null : rule.protocol,
        ...(withPorts && rule.port ? { port_range_min: min, port_range_max: max } : {}),
        ...(rule.remote ? { remote_ip_prefix: rule.remote } : {}),
      },
    };
    return act(app, `Rule added to ${ruleFor!.name}`, () => api.post('network', '/security-group-rules', body), groups.reload);
  };
  return (
    <Page
      title="Security Groups"
      actions={
        <Button
          kind="primary"
          onClick={() => {
            setName('');
            setDescription('');
            setCreating(true);
          }}
        >
          Create Security Group
        </Button>
      }
    >
      <Table
        rows={groups}
        rowKey={(g) => g.id}
        rowName={(g) => g.name}
        empty="No security groups."
        columns={[
          { title: 'Name', cell: (g) => g.name },
          { title: 'Description', cell: (g) => g.description || '-' },
          {
            title: 'Rules',
            cell: (g) =>
              g.security_group_rules.map((r) => (
                <div key={r.id} className="rule">
                  {describeRule(r)}{' '}
                  <button type="button" className="link-btn" onClick={() => void act(app, 'Rule deleted', () => api.del('network', `/security-group-rules/${r.id}`)).then(groups.reload)}>
                    delete
                  </button>
                </div>
              )),
          },
        ]}
        actions={(g) => (
          <span className="row-actions">
            <Button onClick={() => setRuleFor(g)}>Add Rule</Button>
            {g.name !== 'default' && (
              <Button kind="danger" onClick={() => confirmAct(app, `Delete security group ${g.name}?`, `Deleted ${g.name}`, () => api.del('network', `/security-groups/${g.id}`), groups.reload)}>
                Delete
              </Button>
            )}
          </span>
        )}
      />
      {creating && (
        <Modal title="Create Security Group" onClose={() => setCreating(false)} onSubmit={create} submitLabel="Create">
          <Field label="Name">
            <input name="sg_name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
          </Field>
          <Field label="Description">
            <input name="sg_description" value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
        </Modal>
      )}
      {ruleFor && (
        <Modal title={`Add a rule to ${ruleFor.name}`} onClose={() => setRuleFor(undefined)} onSubmit={addRule} submitLabel="Add">
          <Field label="Direction">
            <select value={rule.direction} onChange={(e) => setRule({ ...rule, direction: e.target.value })}>
              <option>ingress</option>
              <option>egress</option>
            </select>
          </Field>
          <Field label="Protocol">
            <select value={rule.protocol} onChange={(e) => setRule({ ...rule, protocol: e.target.value })}>
              <option>tcp</option>
              <option>udp</option>
              <option>icmp</option>
              <option>any</option>
            </select>
          </Field>
          <Field label="Port or range" help="22, or 8000-8080; tcp and udp only.">
            <input value={rule.port} onChange={(e) => setRule({ ...rule, port: e.target.value.trim() })} />
          </Field>
          <Field label="Remote CIDR">
            <input value={rule.remote} onChange={(e) => setRule({ ...rule, remote: e.target.value.trim() })} />
          </Field>
        </Modal>
      )}
    </Page>
  );
}
