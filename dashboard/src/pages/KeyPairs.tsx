import { useState } from 'react';
import { listKeypairs } from '../api/compute';
import type { Keypair } from '../api/types';
import { Table } from '../components/Table';
import { Button, Field, Modal, Page } from '../components/ui';
import { act, confirmAct, useApp } from '../lib/app';
import { download } from '../lib/download';
import { useLoad } from '../lib/hooks';

/** Key pairs: create (the private key is downloaded once, never stored), import, delete. */
export function KeyPairs() {
  const app = useApp();
  const { api } = app;
  const keys = useLoad(() => listKeypairs(api), []);
  const [mode, setMode] = useState<'create' | 'import'>();
  const [name, setName] = useState('');
  const [pub, setPub] = useState('');
  const [created, setCreated] = useState<Keypair>();
  const submit = async () => {
    const body = mode === 'import' ? { keypair: { name: name.trim(), public_key: pub.trim() } } : { keypair: { name: name.trim() } };
    let kp: Keypair | undefined;
    const ok = await act(app, mode === 'import' ? `Imported key pair ${name}` : `Created key pair ${name}`, async () => {
      kp = (await api.post<{ keypair: Keypair }>('compute', '/os-keypairs', body)).keypair;
    });
    if (ok && kp?.private_key) {
      download(`${kp.name}.pem`, kp.private_key, 'application/x-pem-file');
      setCreated(kp);
    }
    if (ok) keys.reload();
    return ok;
  };
  const open = (m: 'create' | 'import') => {
    setName('');
    setPub('');
    setMode(m);
  };
  return (
    <Page
      title="Key Pairs"
      actions={
        <>
          <Button onClick={() => open('import')}>Import Public Key</Button>
          <Button kind="primary" onClick={() => open('create')}>
            Create Key Pair
          </Button>
        </>
      }
    >
      {created && (
        <div className="notice" role="status">
          Key pair <strong>{created.name}</strong> created. Its private key was downloaded as <code>{created.name}.pem</code>: keep it, it cannot be downloaded again.{' '}
          <button type="button" className="btn plain" onClick={() => setCreated(undefined)}>
            OK
          </button>
        </div>
      )}
      <Table
        rows={keys}
        rowKey={(k) => k.name}
        empty="No key pairs: create one, or import your SSH public key."
        columns={[
          { title: 'Name', cell: (k) => k.name },
          { title: 'Type', cell: (k) => k.type ?? 'ssh' },
          { title: 'Fingerprint', cell: (k) => <code>{k.fingerprint}</code> },
        ]}
        actions={(k) => (
          <Button kind="danger" onClick={() => confirmAct(app, `Delete key pair ${k.name}?`, `Deleted key pair ${k.name}`, () => api.del('compute', `/os-keypairs/${encodeURIComponent(k.name)}`), keys.reload)}>
            Delete
          </Button>
        )}
      />
      {mode && (
        <Modal title={mode === 'import' ? 'Import Public Key' : 'Create Key Pair'} onClose={() => setMode(undefined)} onSubmit={submit} submitLabel={mode === 'import' ? 'Import' : 'Create Key Pair'}>
          <Field label="Key pair name">
            <input name="keypair_name" value={name} onChange={(e) => setName(e.target.value)} required pattern="[A-Za-z0-9_\- .@]+" autoFocus />
          </Field>
          {mode === 'import' ? (
            <Field label="Public key" help="The contents of your ~/.ssh/id_ed25519.pub or id_rsa.pub.">
              <textarea name="public_key" rows={5} value={pub} onChange={(e) => setPub(e.target.value)} required />
            </Field>
          ) : (
            <p className="muted">Nova generates the key pair; the private key is downloaded once, right after creation.</p>
          )}
        </Modal>
      )}
    </Page>
  );
}
