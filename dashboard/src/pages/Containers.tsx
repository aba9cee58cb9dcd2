import { useState } from 'react';
import type { SwiftContainer, SwiftObject } from '../api/types';
import { Table } from '../components/Table';
import { Button, Field, Modal, Page, Progress } from '../components/ui';
import { act, confirmAct, useApp } from '../lib/app';
import { download } from '../lib/download';
import { ago, bytes } from '../lib/format';
import { useLoad } from '../lib/hooks';
import { Link, navigate } from '../lib/router';

/** An object path for a URL: each segment encoded, the slashes kept. */
const enc = (path: string) => path.split('/').map(encodeURIComponent).join('/');
const browse = (container: string, prefix = '') => `/project/containers/${enc(container)}${prefix ? `/${enc(prefix)}` : ''}`;

/** Swift: the containers of the project's account, or (with a path) the object browser. */
export function Containers(p: { path: string }) {
  const slash = p.path.indexOf('/');
  const container = slash < 0 ? p.path : p.path.slice(0, slash);
  const prefix = slash < 0 ? '' : p.path.slice(slash + 1);
  return container ? <ObjectBrowser container={container} prefix={prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix} /> : <ContainerList />;
}

function ContainerList() {
  const app = useApp();
  const { api } = app;
  const list = useLoad(() => api.get<SwiftContainer[]>('object', '?format=json'), []);
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const create = async () => {
    if (name.includes('/')) {
      app.fail(new Error('A container name cannot contain "/"; use pseudo-folders inside the container instead.'));
      return false;
    }
    return act(app, `Created container ${name}`, () => api.fetch('object', 'PUT', `/${encodeURIComponent(name.trim())}`), list.reload);
  };
  return (
    <Page
      title="Containers"
      actions={
        <Button
          kind="primary"
          onClick={() => {
            setName('');
            setOpen(true);
          }}
        >
          Create Container
        </Button>
      }
    >
      <Table
        rows={list}
        rowKey={(c) => c.name}
        empty="No containers: create one to upload objects."
        columns={[
          { title: 'Name', cell: (c) => <Link to={browse(c.name)}>{c.name}</Link> },
          { title: 'Objects', cell: (c) => c.count },
          { title: 'Size', cell: (c) => bytes(c.bytes) },
        ]}
        actions={(c) => (
          <Button
            kind="danger"
            title={c.count ? 'Delete its objects first' : undefined}
            onClick={() => confirmAct(app, `Delete container ${c.name}?`, `Deleted container ${c.name}`, () => api.fetch('object', 'DELETE', `/${encodeURIComponent(c.name)}`), list.reload)}
          >
            Delete
          </Button>
        )}
      />
      {open && (
        <Modal title="Create Container" onClose={() => setOpen(false)} onSubmit={create} submitLabel="Create">
          <Field label="Container name">
            <input name="container_name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
          </Field>
        </Modal>
      )}
    </Page>
  );
}

function ObjectBrowser(p: { container: string; prefix: string }) {
  const app = useApp();
  const { api } = app;
  const base = `/${encodeURIComponent(p.container)}`;
  const list = useLoad(
    () => api.get<SwiftObject[]>('object', `${base}?format=json&delimiter=/&prefix=${encodeURIComponent(p.prefix)}`).then((l) => l.filter((o) => o.name !== p.prefix)),
    [p.container, p.prefix],
  );
  const [uploading, setUploading] = useState<string>();
  const [upload, setUpload] = useState(false);
  const [folder, setFolder] = useState(false);
  const [file, setFile] = useState<File>();
  const [name, setName] = useState('');
  const doUpload = async () => {
    if (!file) {
      app.fail(new Error('Choose a file to upload.'));
      return false;
    }
    const objName = p.prefix + (name.trim() || file.name);
    setUploading(`Uploading ${objName} (${bytes(file.size)})…`);
    const ok = await act(app, `Uploaded ${objName}`, () => api.fetch('object', 'PUT', `${base}/${enc(objName)}`, { raw: file, contentType: file.type || 'application/octet-stream' }));
    setUploading(undefined);
    list.reload();
    return ok;
  };
  const makeFolder = async () => {
    const n = name.trim().replace(/\/+$/, '');
    return act(app, `Created folder ${n}`, () => api.fetch('object', 'PUT', `${base}/${enc(`${p.prefix}${n}/`)}`, { raw: '', contentType: 'application/directory' }), list.reload);
  };
  const get = async (o: SwiftObject) => {
    const n = o.name!;
    await act(app, `Downloaded ${n}`, async () => {
      const res = await api.fetch('object', 'GET', `${base}/${enc(n)}`);
      download(n.slice(n.lastIndexOf('/') + 1), await res.blob(), res.headers.get('content-type') ?? undefined);
    });
  };
  const crumbs = p.prefix.split('/').filter(Boolean);
  return (
    <Page
      title={`Container ${p.container}`}
      actions={
        <>
          {uploading && <Progress>{uploading}</Progress>}
          <Button
            onClick={() => {
              setName('');
              setFolder(true);
            }}
          >
            Create Folder
          </Button>
          <Button
            kind="primary"
            onClick={() => {
              setName('');
              setFile(undefined);
              setUpload(true);
            }}
          >
            Upload File
          </Button>
        </>
      }
    >
      <nav className="crumbs" aria-label="Path">
        <Link to="/project/containers">Containers</Link> / <Link to={browse(p.container)}>{p.container}</Link>
        {crumbs.map((c, i) => (
          <span key={i}>
            {' / '}
            <Link to={browse(p.container, `${crumbs.slice(0, i + 1).join('/')}/`)}>{c}</Link>
          </span>
        ))}
      </nav>
      <Table
        rows={list}
        rowKey={(o) => o.subdir ?? o.name!}
        rowName={(o) => (o.subdir ?? o.name!).slice(p.prefix.length)}
        empty="This folder is empty: upload a file."
        columns={[
          {
            title: 'Name',
            cell: (o) =>
              o.subdir ? (
                <Link to={browse(p.container, o.subdir)}>📁 {o.subdir.slice(p.prefix.length)}</Link>
              ) : (
                <span>{o.name!.slice(p.prefix.length)}</span>
              ),
          },
          { title: 'Size', cell: (o) => (o.subdir ? '-' : bytes(o.bytes)) },
          { title: 'Type', cell: (o) => (o.subdir ? 'folder' : (o.content_type ?? '-')) },
          { title: 'Modified', cell: (o) => (o.last_modified ? ago(`${o.last_modified}Z`) : '-') },
        ]}
        actions={(o) =>
          o.subdir ? (
            <Button onClick={() => navigate(browse(p.container, o.subdir))}>Open</Button>
          ) : (
            <span className="row-actions">
              <Button onClick={() => void get(o)}>Download</Button>
              <Button kind="danger" onClick={() => confirmAct(app, `Delete ${o.name}?`, `Deleted ${o.name}`, () => api.fetch('object', 'DELETE', `${base}/${enc(o.name!)}`), list.reload)}>
                Delete
              </Button>
            </span>
          )
        }
      />
      {upload && (
        <Modal title="Upload File" onClose={() => setUpload(false)} onSubmit={doUpload} submitLabel="Upload File">
          <Field label="File">
            <input name="object_file" type="file" onChange={(e) => setFile(e.target.files?.[0])} required />
          </Field>
          <Field label="Object name" help={`Defaults to the file name; stored under ${p.prefix || 'the container root'}.`}>
            <input name="object_name" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
        </Modal>
      )}
      {folder && (
        <Modal title="Create Folder" onClose={() => setFolder(false)} onSubmit={makeFolder} submitLabel="Create Folder">
          <Field label="Folder name">
            <input name="folder_name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
          </Field>
        </Modal>
      )}
    </Page>
  );
}
