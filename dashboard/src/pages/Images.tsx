import { useState } from 'react';
import { listImages } from '../api/compute';
import type { Image } from '../api/types';
import { Table } from '../components/Table';
import { Badge, Button, Field, Modal, Page, Progress, Spinner } from '../components/ui';
import { act, confirmAct, useApp } from '../lib/app';
import { ago, bytes } from '../lib/format';
import { useLoad } from '../lib/hooks';

const FORMATS = ['qcow2', 'raw', 'iso', 'vmdk', 'vdi', 'vhd', 'ami', 'ari', 'aki'];

/** Glance images: list, upload a file (create, then PUT its data), delete. */
export function Images() {
  const app = useApp();
  const { api, session } = app;
  const images = useLoad(() => listImages(api), [], { ms: 1000, while: (l) => l.some((i) => i.status === 'saving' || i.status === 'importing' || i.status === 'queued') });
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [file, setFile] = useState<File>();
  const [format, setFormat] = useState('qcow2');
  const [uploading, setUploading] = useState<string>();
  const upload = async () => {
    if (!file) {
      app.fail(new Error('Choose a file to upload.'));
      return false;
    }
    const n = name.trim() || file.name;
    setUploading(`Uploading ${n} (${bytes(file.size)})…`);
    let id: string | undefined;
    const ok = await act(app, `Uploaded image ${n}`, async () => {
      const img = await api.post<Image>('image', '/images', { name: n, disk_format: format, container_format: 'bare', visibility: 'private' });
      id = img.id;
      await api.fetch('image', 'PUT', `/images/${img.id}/file`, { raw: file, contentType: 'application/octet-stream' });
    });
    setUploading(undefined);
    // An image left queued by a failed upload is removed, so no empty record stays behind.
    if (!ok && id) await api.del('image', `/images/${id}`).catch(() => undefined);
    images.reload();
    return ok;
  };
  const mine = (i: Image) => i.owner === session.project.id;
  return (
    <Page
      title="Images"
      actions={
        <>
          {uploading && <Progress>{uploading}</Progress>}
          <Button onClick={images.reload}>Refresh</Button>
          <Button
            kind="primary"
            onClick={() => {
              setName('');
              setFile(undefined);
              setOpen(true);
            }}
          >
            Create Image
          </Button>
        </>
      }
    >
      <Table
        rows={images}
        rowKey={(i) => i.id}
        rowName={(i) => i.name}
        empty="No images."
        columns={[
          { title: 'Name', cell: (i) => i.name },
          { title: 'Status', cell: (i) => <Badge status={i.status} /> },
          { title: 'Visibility', cell: (i) => i.visibility },
          { title: 'Format', cell: (i) => `${i.disk_format ?? '-'} / ${i.container_format ?? '-'}` },
          { title: 'Size', cell: (i) => bytes(i.size) },
          { title: 'Created', cell: (i) => ago(i.created_at) },
        ]}
        actions={(i) =>
          mine(i) ? (
            <Button kind="danger" onClick={() => confirmAct(app, `Delete image ${i.name}?`, `Deleted image ${i.name}`, () => api.del('image', `/images/${i.id}`), images.reload)}>
              Delete
            </Button>
          ) : (
            <span className="muted">not yours</span>
          )
        }
      />
      {open && (
        <Modal title="Create Image" onClose={() => setOpen(false)} onSubmit={upload} submitLabel="Upload">
          <Field label="Image name" help="Defaults to the file name.">
            <input name="image_name" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label="File">
            <input name="image_file" type="file" onChange={(e) => setFile(e.target.files?.[0])} required />
          </Field>
          <Field label="Disk format">
            <select name="disk_format" value={format} onChange={(e) => setFormat(e.target.value)}>
              {FORMATS.map((f) => (
                <option key={f}>{f}</option>
              ))}
            </select>
          </Field>
          {uploading && (
            <p>
              <Spinner /> {uploading}
            </p>
          )}
        </Modal>
      )}
    </Page>
  );
}
