import { useState } from 'react';
import { listServers } from '../api/compute';
import type { Volume } from '../api/types';
import { Table } from '../components/Table';
import { Badge, Button, Field, Modal, Page, Picker, Progress } from '../components/ui';
import { act, confirmAct, useApp } from '../lib/app';
import { ago, shortId } from '../lib/format';
import { useLoad } from '../lib/hooks';

const SETTLING = /ing$|reserved/;
/** A volume's name, or its short id when it has none. */
const volumeName = (v: Volume) => v.name || shortId(v.id);

/** Cinder volumes: create, attach to and detach from an instance (through Nova), delete. */
export function Volumes() {
  const app = useApp();
  const { api } = app;
  const volumes = useLoad(() => api.get<{ volumes: Volume[] }>('volume', '/volumes/detail').then((r) => r.volumes), [], { ms: 1000, while: (l) => l.some((v) => SETTLING.test(v.status)) });
  const servers = useLoad(() => listServers(api), []);
  const candidates = (servers.data ?? []).filter((s) => s.status === 'ACTIVE' || s.status === 'SHUTOFF');
  const serverName = (id: string) => servers.data?.find((s) => s.id === id)?.name ?? shortId(id);
  const [creating, setCreating] = useState(false);
  const [attaching, setAttaching] = useState<Volume>();
  const [name, setName] = useState('');
  const [size, setSize] = useState(1);
  const [description, setDescription] = useState('');
  const [server, setServer] = useState('');
  const create = async () => {
    return act(app, `Creating volume ${name}`, () => api.post('volume', '/volumes', { volume: { name: name.trim(), size, description } }), volumes.reload);
  };
  const attach = async () => {
    const v = attaching!;
    const target = server || candidates[0]?.id;
    if (!target) {
      app.fail(new Error('There is no instance to attach to: launch one first.'));
      return false;
    }
    return act(app, `Attaching ${volumeName(v)} to ${serverName(target)}`, () => api.post('compute', `/servers/${target}/os-volume_attachments`, { volumeAttachment: { volumeId: v.id } }), volumes.reload);
  };
  const detach = (v: Volume) => {
    const a = v.attachments[0];
    if (!a) return;
    void act(app, `Detaching ${volumeName(v)}`, () => api.del('compute', `/servers/${a.server_id}/os-volume_attachments/${v.id}`)).then(volumes.reload);
  };
  const remove = (v: Volume) => confirmAct(app, `Delete volume ${v.name || v.id}? Its data is lost.`, `Deleting volume ${volumeName(v)}`, () => api.del('volume', `/volumes/${v.id}`), volumes.reload);
  const settling = volumes.data?.some((v) => SETTLING.test(v.status));
  return (
    <Page
      title="Volumes"
      actions={
        <>
          {settling && <Progress>waiting for volumes to settle…</Progress>}
          <Button onClick={volumes.reload}>Refresh</Button>
          <Button
            kind="primary"
            onClick={() => {
              setName('');
              setSize(1);
              setDescription('');
              setCreating(true);
            }}
          >
            Create Volume
          </Button>
        </>
      }
    >
      <Table
        rows={volumes}
        rowKey={(v) => v.id}
        rowName={(v) => v.name || v.id}
        empty="No volumes: create one and attach it to an instance."
        columns={[
          { title: 'Name', cell: (v) => v.name || <code>{shortId(v.id)}</code> },
          { title: 'Size', cell: (v) => `${v.size} GiB` },
          { title: 'Status', cell: (v) => <Badge status={v.status} /> },
          { title: 'Type', cell: (v) => v.volume_type ?? '-' },
          { title: 'Attached to', cell: (v) => v.attachments.map((a) => `${serverName(a.server_id)} on ${a.device ?? '?'}`).join(', ') || '-' },
          { title: 'Created', cell: (v) => ago(v.created_at) },
        ]}
        actions={(v) => (
          <span className="row-actions">
            {v.status === 'available' && (
              <Button
                onClick={() => {
                  setServer('');
                  servers.reload();
                  setAttaching(v);
                }}
              >
                Attach
              </Button>
            )}
            {v.status === 'in-use' && <Button onClick={() => detach(v)}>Detach</Button>}
            <Button kind="danger" onClick={() => remove(v)} disabled={v.status === 'in-use'} title={v.status === 'in-use' ? 'Detach it first' : undefined}>
              Delete
            </Button>
          </span>
        )}
      />
      {creating && (
        <Modal title="Create Volume" onClose={() => setCreating(false)} onSubmit={create} submitLabel="Create Volume">
          <Field label="Volume name">
            <input name="volume_name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
          </Field>
          <Field label="Size (GiB)">
            <input name="size" type="number" min={1} value={size} onChange={(e) => setSize(Math.max(1, Number(e.target.value) || 1))} />
          </Field>
          <Field label="Description">
            <input name="description" value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
        </Modal>
      )}
      {attaching && (
        <Modal title={`Attach ${volumeName(attaching)}`} onClose={() => setAttaching(undefined)} onSubmit={attach} submitLabel="Attach Volume">
          <Field label="Instance">
            <Picker name="server" value={server} onChange={setServer} items={candidates} label={(s) => `${s.name} (${s.status})`} />
          </Field>
        </Modal>
      )}
    </Page>
  );
}
