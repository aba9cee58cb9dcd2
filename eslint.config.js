// Lint: TypeScript rules plus the layering rules from STYLE.md (habit 9).
// The layering is enforced with no-restricted-imports, per directory:
//   core/   imports nothing of ours but core
//   store/  never imports http, services or drivers
//   drivers/<x>/ never import the store, services, http, or another driver
//   http/   never imports a service or the store (identity reaches it through TokenVerifier)
//   services/<a>/ never import another service's internals (only its logic/index.js) or a
//           concrete driver implementation (only drivers/<x>/driver.js)
//   cli/    never imports service internals (it goes through main.ts and HTTP)
//   kube/   never imports the OpenStack side (services, http, drivers, store)
//   dataplane/ host primitives for drivers and node agents; imports core only
//   registry/ the OCI registry; imports core and driver interfaces only
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const msg = (group, message) => ({ group, message });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'dashboard/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: restrict([msg(['**/store/**', '**/http/**', '**/services/**', '**/drivers/**', '**/cli/**', '**/main.js'], 'core/ has no I/O and depends on nothing else.')]),
  },
  {
    files: ['src/store/**/*.ts'],
    rules: restrict([msg(['**/http/**', '**/services/**', '**/drivers/**', '**/cli/**'], 'store/ must not depend on http, services or drivers.')]),
  },
  {
    files: ['src/drivers/**/*.ts'],
    rules: restrict([
      msg(['**/store/**', '**/store/*', '**/services/**', '**/http/**', '**/cli/**', '**/main.js'], 'Drivers never import the store, services or http (nova N307/N311).'),
      msg(['../*/**', '!../*/driver.js', '!../../**'], 'A driver never imports another driver.'),
    ]),
  },
  {
    // Implementations in a folder (drivers/compute/container/…): siblings are one level further up.
    files: ['src/drivers/*/*/*.ts'],
    rules: restrict([
      msg(['**/store/**', '**/store/*', '**/services/**', '**/http/**', '**/cli/**', '**/main.js'], 'Drivers never import the store, services or http (nova N307/N311).'),
      msg(['../../*/**', '!../../*/driver.js', '!../../../**'], 'A driver never imports another driver.'),
    ]),
  },
  {
    files: ['src/http/**/*.ts'],
    rules: restrict([msg(['**/services/**', '**/store/**', '**/drivers/**'], 'http/ reaches services only through the interfaces in http/ (TokenVerifier, ServiceModule).')]),
  },
  {
    files: ['src/services/**/*.ts'],
    rules: restrict([
      msg(['**/drivers/*/fs.js', '**/drivers/*/memory.js', '**/drivers/*/fake.js', '**/drivers/*/linux/**', '**/drivers/*/container/**'], 'Services use driver interfaces (driver.js); main.ts picks implementations.'),
      msg(['**/cli/**', '**/main.js'], 'Services never import the CLI or the composition root.'),
    ]),
  },
  {
    files: ['src/cli/**/*.ts', 'dashboard/**/*.{ts,tsx}'],
    rules: restrict([msg(['**/services/**', '**/store/**', '**/drivers/**'], 'The CLI and dashboard use main.ts or the public APIs, never service internals.')]),
  },
  // kube/ has its own store (kube/store); the OpenStack store is src/store, reached by one more '../'.
  ...[1, 2, 3].map((depth) => ({
    files: [`src/kube/${'*/'.repeat(depth - 1)}*.ts`],
    rules: restrict([
      msg(['**/services/**', '**/http/**', '**/drivers/**', '**/cli/**', '**/main.js', `${'../'.repeat(depth)}store/**`], 'kube/ is its own control plane: it shares only core/ and dataplane/ with the OpenStack side.'),
    ]),
  })),
  {
    files: ['src/dataplane/**/*.ts', 'src/images/**/*.ts'],
    rules: restrict([msg(['**/services/**', '**/http/**', '**/store/**', '**/cli/**', '**/main.js', '**/kube/**'], 'dataplane/ holds host primitives (namespaces, links, nft, runtimes) used by drivers and node agents; it depends on core/ only.')]),
  },
  {
    // The kube side's composition point for real nodes may pick a driver implementation.
    files: ['src/kube/net/optional.ts'],
    rules: restrict([msg(['**/services/**', '**/http/**', '**/cli/**', '**/main.js', '../../store/**'], 'kube/ is its own control plane: it shares only core/ and dataplane/ with the OpenStack side.')]),
  },
  {
    // The OCI registry is a self-contained server module (Stratus serves it; kube nodes pull from it).
    files: ['src/registry/**/*.ts'],
    rules: restrict([msg(['**/services/**', '**/http/**', '**/store/**', '**/cli/**', '**/main.js', '**/kube/**', '**/drivers/*/*.js', '!**/drivers/*/driver.js'], 'registry/ depends on core/ and driver interfaces only.')]),
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
