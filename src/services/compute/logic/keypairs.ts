import type { ComputeContext } from './context.js';
import { Repo } from './context.js';
import { E } from './errors.js';
import { KIND, type Keypair } from './models.js';
import type { Quotas } from './quotas.js';
import { generateKey, parsePublicKey } from './ssh-keys.js';

export interface CreatedKeypair {
  keypair: Keypair;
  /** Only when Stratus generated the key. */
  privateKey?: string;
}

/**
 * Keypairs belong to a user (not a project), by name. A generated private key is returned
 * once and never stored.
 */
export class Keypairs {
  readonly repo: Repo<Keypair>;

  constructor(
    private readonly ctx: ComputeContext,
    private readonly quotas: Quotas,
  ) {
    this.repo = new Repo<Keypair>(
      ctx,
      KIND.keypair,
      (id) => E.keypairNotFound(id.split('/')[1] ?? id, id.split('/')[0] ?? ''),
      undefined,
      (k) => `Key pair '${k.name}' already exists.`,
    );
  }

  list(userId: string): Promise<Keypair[]> {
    return this.repo.list({ userId });
  }

  async get(userId: string, name: string): Promise<Keypair> {
    const k = await this.repo.get(`${userId}/${name}`);
    if (!k) throw E.keypairNotFound(name, userId);
    return k;
  }

  find(userId: string, name: string): Promise<Keypair | undefined> {
    return this.repo.get(`${userId}/${name}`);
  }

  /**
   * Imports `publicKey` (400 when it is not an OpenSSH public key) or generates one.
   * Duplicate names are a 409; more than the key_pairs quota a 403.
   */
  async create(userId: string, projectId: string, input: { name: string; publicKey?: string; type?: 'ssh' | 'x509' }): Promise<CreatedKeypair> {
    let publicKey = input.publicKey;
    let fingerprint: string;
    let privateKey: string | undefined;
    if (publicKey !== undefined) {
      const parsed = parsePublicKey(publicKey);
      if (!parsed) throw E.bad('Keypair data is invalid: failed to generate fingerprint', 'InvalidKeypair');
      fingerprint = parsed.fingerprint;
    } else {
      const g = await generateKey(this.ctx.config.keyAlgorithm, `Generated-by-Nova`);
      publicKey = g.publicKey;
      fingerprint = g.fingerprint;
      privateKey = g.privateKey;
    }
    const id = `${userId}/${input.name}`;
    const keypair = await this.ctx.store.tx(async (tx) => {
      if (await this.repo.get(id, tx)) throw E.conflict(`Key pair '${input.name}' already exists.`, 'KeyPairExists');
      await this.quotas.check(projectId, { key_pairs: 1 }, { key_pairs: await this.repo.count({ userId }, tx) }, tx);
      const k: Keypair = {
        id,
        seq: await this.ctx.nextSeq('keypair', tx),
        userId,
        name: input.name,
        type: input.type ?? 'ssh',
        publicKey: publicKey!,
        fingerprint,
        createdAt: this.ctx.now(),
      };
      return this.repo.create(k, tx);
    });
    this.ctx.changed(KIND.keypair, 'created', id);
    return privateKey === undefined ? { keypair } : { keypair, privateKey };
  }

  async delete(userId: string, name: string): Promise<void> {
    if (!(await this.repo.delete(`${userId}/${name}`))) throw E.keypairNotFound(name, userId);
    this.ctx.changed(KIND.keypair, 'deleted', `${userId}/${name}`);
  }
}
