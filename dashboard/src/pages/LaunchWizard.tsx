import { useEffect, useState } from 'react';
import { listFlavors, listImages, listKeypairs, listNetworks, listSecurityGroups } from '../api/compute';
import { ErrorBox, Field, Modal, Tabs } from '../components/ui';
import { useApp } from '../lib/app';
import { bytes } from '../lib/format';
import { useLoad } from '../lib/hooks';

type Step = 'details' | 'source' | 'flavor' | 'networks' | 'security' | 'key' | 'config';
const STEPS: { id: Step; label: string }[] = [
  { id: 'details', label: 'Details' },
  { id: 'source', label: 'Source' },
  { id: 'flavor', label: 'Flavor' },
  { id: 'networks', label: 'Networks' },
  { id: 'security', label: 'Security Groups' },
  { id: 'key', label: 'Key Pair' },
  { id: 'config', label: 'Configuration' },
];

function base64Utf8(text: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * Horizon's launch wizard over Nova's POST /servers: name and count, image, flavor, networks,
 * security groups, key pair and user data. Every step can be visited in any order; Launch is
 * enabled once the required fields are set and says what is still missing.
 */
export function LaunchWizard(p: { onClose: () => void; onLaunched: (ids: string[]) => void }) {
  const app = useApp();
  const { api } = app;
  const res = useLoad(async () => {
    const [images, flavors, networks, groups, keys] = await Promise.all([listImages(api), listFlavors(api), listNetworks(api), listSecurityGroups(api), listKeypairs(api)]);
    return { images: images.filter((i) => i.status === 'active'), flavors: flavors.sort((a, b) => a.ram - b.ram || a.vcpus - b.vcpus), networks, groups, keys };
  }, []);
  const [step, setStep] = useState<Step>('details');
  const [name, setName] = useState('');
  const [count, setCount] = useState(1);
  const [image, setImage] = useState('');
  const [flavor, setFlavor] = useState('');
  const [nets, setNets] = useState<string[]>([]);
  const [groups, setGroups] = useState<string[]>(['default']);
  const [key, setKey] = useState('');
  const [userData, setUserData] = useState('');
  const d = res.data;
  // Once the lists are in, preselect the project's network when it has exactly one.
  useEffect(() => {
    const tenantNets = d ? d.networks.filter((n) => !n['router:external']) : [];
    if (tenantNets.length === 1) setNets([tenantNets[0]!.id]);
  }, [d]);
  const missing = [!name.trim() && 'a name (Details)', !image && 'an image (Source)', !flavor && 'a flavor (Flavor)', nets.length === 0 && 'a network (Networks)'].filter(Boolean) as string[];
  const toggle = (list: string[], v: string) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const launch = async () => {
    if (missing.length) {
      app.fail(new Error(`Choose ${missing.join(', ')} before launching.`));
      return false;
    }
    const server: Record<string, unknown> = {
      name: name.trim(),
      imageRef: image,
      flavorRef: flavor,
      networks: nets.map((uuid) => ({ uuid })),
      security_groups: groups.map((g) => ({ name: g })),
      min_count: count,
      max_count: count,
    };
    if (key) server.key_name = key;
    if (userData.trim()) server.user_data = base64Utf8(userData);
    try {
      const r = await api.post<{ server?: { id: string }; reservation_id?: string }>('compute', '/servers', { server });
      app.notify(count > 1 ? `Launching ${count} instances named ${name.trim()}` : `Launching instance ${name.trim()}`);
      p.onLaunched(r.server ? [r.server.id] : []);
      return true;
    } catch (e) {
      app.fail(e);
      return false;
    }
  };
  const idx = STEPS.findIndex((s) => s.id === step);
  return (
    <Modal title="Launch Instance" onClose={p.onClose} onSubmit={launch} submitLabel="Launch Instance" wide>
      {res.error ? <ErrorBox error={res.error} onRetry={res.reload} /> : null}
      <Tabs tabs={STEPS} value={step} onChange={setStep} />
      <div className="wizard-step" data-step={step}>
        {step === 'details' && (
          <>
            <Field label="Instance name">
              <input name="name" value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
            </Field>
            <Field label="Count" help="Several instances get the same name; Nova adds no suffix.">
              <input name="count" type="number" min={1} max={20} value={count} onChange={(e) => setCount(Math.max(1, Number(e.target.value) || 1))} />
            </Field>
          </>
        )}
        {step === 'source' && (
          <Field label="Image">
            <select name="image" value={image} onChange={(e) => setImage(e.target.value)}>
              <option value="">Select an image</option>
              {d?.images.map((i) => (
                <option key={i.id} value={i.id}>
                  {i.name} ({bytes(i.size)}, {i.disk_format})
                </option>
              ))}
            </select>
          </Field>
        )}
        {step === 'flavor' && (
          <Field label="Flavor">
            <select name="flavor" value={flavor} onChange={(e) => setFlavor(e.target.value)}>
              <option value="">Select a flavor</option>
              {d?.flavors.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.name}: {f.vcpus} VCPU, {f.ram} MiB RAM, {f.disk} GiB disk
                </option>
              ))}
            </select>
          </Field>
        )}
        {step === 'networks' && (
          <fieldset className="checks">
            <legend>Networks (one NIC each, in this order)</legend>
            {d?.networks.map((n) => (
              <label key={n.id}>
                <input type="checkbox" name={`net-${n.name}`} checked={nets.includes(n.id)} onChange={() => setNets(toggle(nets, n.id))} /> {n.name}
                {n['router:external'] ? ' (external)' : ''}
                {n.shared ? ' (shared)' : ''}
              </label>
            ))}
          </fieldset>
        )}
        {step === 'security' && (
          <fieldset className="checks">
            <legend>Security groups</legend>
            {d?.groups.map((g) => (
              <label key={g.id}>
                <input type="checkbox" name={`sg-${g.name}`} checked={groups.includes(g.name)} onChange={() => setGroups(toggle(groups, g.name))} /> {g.name}
                <span className="muted"> {g.security_group_rules.length} rules</span>
              </label>
            ))}
          </fieldset>
        )}
        {step === 'key' && (
          <Field label="Key pair" help="Its public key is injected through the metadata service (cloud-init).">
            <select name="key" value={key} onChange={(e) => setKey(e.target.value)}>
              <option value="">No key pair</option>
              {d?.keys.map((k) => (
                <option key={k.name} value={k.name}>
                  {k.name} ({k.fingerprint})
                </option>
              ))}
            </select>
          </Field>
        )}
        {step === 'config' && (
          <Field label="User data" help="A cloud-init script or #cloud-config, passed as is.">
            <textarea name="user_data" rows={8} value={userData} onChange={(e) => setUserData(e.target.value)} placeholder={'#!/bin/sh\necho hello'} />
          </Field>
        )}
      </div>
      <div className="wizard-nav">
        <button type="button" className="btn plain" disabled={idx === 0} onClick={() => setStep(STEPS[idx - 1]!.id)}>
          ‹ Back
        </button>
        <span className="muted">{missing.length ? `Still needed: ${missing.join(', ')}` : 'Ready to launch.'}</span>
        <button type="button" className="btn plain" disabled={idx === STEPS.length - 1} onClick={() => setStep(STEPS[idx + 1]!.id)}>
          Next ›
        </button>
      </div>
    </Modal>
  );
}
