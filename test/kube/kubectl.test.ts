import { test } from 'node:test';
import { requireTools } from '../support/proc.js';
import { startTestKube } from '../support/kube.js';
import { coreFlows, FAKE_PROFILE, fullFlows } from './kubectl-suite.js';

// The real kubectl against an in-process cluster (fake runtime). kubectl on PATH is Cloud SDK's
// dispatcher: it runs the bundled kubectl whose minor matches the server's /version, so the
// same flows run once with 1.32 and once with the server reporting 1.29 (v2beta1 discovery).
// The suite body (kubectl-suite.ts) also runs on real nodes: test/dataplane/kube-kubectl-real.test.ts.

const KUBECTL = [{ cmd: 'kubectl', debPackage: 'kubectl (google-cloud-cli)' }];

test('kubectl 1.32 against the Stratus API server', { timeout: 300_000 }, async (t) => {
  if (!requireTools(t, KUBECTL)) return;
  const k = await startTestKube(t, { nodes: 2 });
  await fullFlows(t, k, FAKE_PROFILE);
});

test('kubectl 1.29 (server reports v1.29.14: v2beta1 discovery)', { timeout: 300_000 }, async (t) => {
  if (!requireTools(t, KUBECTL)) return;
  const k = await startTestKube(t, { nodes: 2, kubeVersion: '1.29.14' });
  await coreFlows(t, k, '29', FAKE_PROFILE);
});
