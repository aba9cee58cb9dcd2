import { StratusError } from '../../../core/errors.js';
import { invalid, type VolumeContext } from './context.js';
import type { TypeEncryption, VolumeType } from './models.js';
import type { VolumeTypes } from './types.js';

export interface EncryptionInput {
  provider?: string;
  cipher?: string | null;
  keySize?: number | null;
  controlLocation?: 'front-end' | 'back-end';
}

/**
 * Encryption types: the encryption settings of a volume type. They can change only while no
 * volume uses the type. This cloud has no key manager, so volumes of an encrypted type cannot
 * be created (a clear 400 at create and retype) rather than be created unencrypted.
 */
export class TypeEncryptions {
  constructor(
    private readonly ctx: VolumeContext,
    private readonly types: VolumeTypes,
  ) {}

  async get(typeId: string): Promise<TypeEncryption | null> {
    return (await this.types.repo.require(typeId)).encryption ?? null;
  }

  async create(typeId: string, input: EncryptionInput): Promise<TypeEncryption> {
    if (!input.provider) throw invalid('input', "'provider' is required: name the encryption provider (e.g. luks).");
    return this.write(typeId, 'create', (t) => {
      if (t.encryption) throw invalid('volume type', `Volume type encryption for type ${typeId} already exists.`);
      return {
        encryptionId: this.ctx.newId(),
        provider: input.provider!,
        cipher: input.cipher ?? null,
        keySize: input.keySize ?? null,
        controlLocation: input.controlLocation ?? 'front-end',
        createdAt: this.ctx.now(),
        updatedAt: null,
      };
    });
  }

  async update(typeId: string, encryptionId: string, input: EncryptionInput): Promise<TypeEncryption> {
    return this.write(typeId, 'update', (t) => {
      const cur = this.existing(t, encryptionId);
      const next: TypeEncryption = { ...cur, updatedAt: this.ctx.now() };
      if (input.provider !== undefined) next.provider = input.provider;
      if (input.cipher !== undefined) next.cipher = input.cipher;
      if (input.keySize !== undefined) next.keySize = input.keySize;
      if (input.controlLocation !== undefined) next.controlLocation = input.controlLocation;
      return next;
    });
  }

  async delete(typeId: string, encryptionId: string): Promise<void> {
    await this.write(typeId, 'delete', (t) => {
      this.existing(t, encryptionId);
      return null;
    });
  }

  private existing(t: VolumeType, encryptionId: string): TypeEncryption {
    // NOTE: clients (tempest, cinderclient) address the one encryption of a type by any
    // second path segment ("provider"); the type id decides.
    void encryptionId;
    if (!t.encryption) throw new StratusError('NotFound', `Volume type encryption for type ${t.id} does not exist.`, 'VolumeTypeEncryptionNotFound');
    return t.encryption;
  }

  private async write<R extends TypeEncryption | null>(typeId: string, verb: string, fn: (t: VolumeType) => R): Promise<R> {
    const out = await this.ctx.store.tx(async (tx) => {
      const t = await this.types.repo.require(typeId, tx);
      const inUse = await tx.count('volume.volume', { where: { volumeTypeId: typeId } });
      if (inUse > 0) throw invalid('volume type', `Cannot ${verb} encryption specs. Volume type in use.`);
      const enc = fn(t);
      await this.types.repo.put({ ...t, encryption: enc }, tx);
      return enc;
    });
    this.ctx.changed('type', 'updated', typeId);
    return out;
  }
}

/** 400 for a volume of an encrypted type: there is no key manager to make its key. */
export function assertUnencrypted(t: VolumeType | undefined): void {
  if (t?.encryption) {
    throw invalid('volume type', `Volume type ${t.name} is encrypted, but this cloud has no key manager to create volume encryption keys; use an unencrypted type.`);
  }
}
