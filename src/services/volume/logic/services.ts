import { badRequest, StratusError } from '../../../core/errors.js';
import type { StoreOps } from '../../../store/index.js';
import { invalid, Repo, type VolumeContext } from './context.js';
import { AVAILABILITY_ZONE } from './models.js';

/** The host of this cloud's block storage, and its one backend (Cinder's host@backend). */
export const SERVICE_HOST = 'stratus';
export const VOLUME_HOST = `${SERVICE_HOST}@file`;

/** The Cinder services this process runs (no cinder-backup: there is no backup service). */
const SERVICES = [
  { binary: 'cinder-scheduler', host: SERVICE_HOST },
  { binary: 'cinder-volume', host: VOLUME_HOST },
] as const;

/** What an operator set on a service; absent record: enabled, not frozen. */
export interface ServiceState {
  /** `<binary>:<host>`. */
  id: string;
  disabled: boolean;
  disabledReason: string | null;
  frozen: boolean;
  updatedAt: number;
}

export interface ServiceView extends ServiceState {
  binary: string;
  host: string;
  zone: string;
}

const KIND = 'volume.service';
const stateId = (binary: string, host: string) => `${binary}:${host}`;

/** Cinder's host filter: `stratus` matches `stratus`, `stratus@file` and `stratus@file#pool`. */
function hostMatches(host: string, filter: string): boolean {
  return host === filter || host.startsWith(`${filter}@`) || host.startsWith(`${filter}#`);
}

/**
 * The volume services (os-services): list, enable/disable with a reason, freeze/thaw of the
 * volume backend. A disabled cinder-volume takes no new volumes (they end in `error`, as when
 * Cinder's scheduler finds no valid backend); a frozen backend refuses management operations
 * (delete, extend, retype, snapshots) until thawed.
 */
export class VolumeServices {
  private readonly repo: Repo<ServiceState>;

  constructor(private readonly ctx: VolumeContext) {
    this.repo = new Repo<ServiceState>(ctx, KIND, 'Service');
  }

  async list(filter: { host?: string; binary?: string } = {}): Promise<ServiceView[]> {
    const states = new Map((await this.repo.list()).map((s) => [s.id, s]));
    const now = this.ctx.now();
    return SERVICES.filter((s) => (filter.binary === undefined || s.binary === filter.binary) && (filter.host === undefined || hostMatches(s.host, filter.host))).map((s) => {
      const id = stateId(s.binary, s.host);
      const st = states.get(id) ?? { id, disabled: false, disabledReason: null, frozen: false, updatedAt: now };
      // NOTE: the services run in this process, so their heartbeat is "now".
      return { ...st, updatedAt: now, binary: s.binary, host: s.host, zone: AVAILABILITY_ZONE };
    });
  }

  /** Enables or disables one service (by exact host and binary). */
  async setDisabled(host: string, binary: string, disabled: boolean, reason: string | null): Promise<ServiceView> {
    if (!SERVICES.some((s) => s.host === host)) throw new StratusError('NotFound', `Host ${host} could not be found.`, 'HostNotFound');
    const svc = SERVICES.find((s) => s.host === host && s.binary === binary);
    if (!svc) throw new StratusError('NotFound', `Service ${binary} on host ${host} could not be found.`, 'ServiceNotFound');
    await this.write(stateId(binary, host), (cur) => ({ ...cur, disabled, disabledReason: disabled ? reason : null }));
    this.ctx.changed('service', 'updated', stateId(binary, host));
    return (await this.list({ host, binary }))[0]!;
  }

  /** Freezes or thaws the volume backend of `host` (`stratus` or `stratus@file`). */
  async setFrozen(host: string, frozen: boolean): Promise<void> {
    const svc = SERVICES.find((s) => s.binary === 'cinder-volume' && hostMatches(s.host, host));
    if (!svc) throw badRequest(`Invalid input received: Host ${host} is not a volume backend of this cloud.`);
    await this.write(stateId(svc.binary, svc.host), (cur) => ({ ...cur, frozen }));
    this.ctx.changed('service', 'updated', stateId(svc.binary, svc.host));
  }

  /** The backend's state, read inside a volume operation's transaction. */
  async backend(tx?: StoreOps): Promise<{ disabled: boolean; frozen: boolean }> {
    const st = await this.repo.get(stateId('cinder-volume', VOLUME_HOST), tx);
    return { disabled: st?.disabled ?? false, frozen: st?.frozen ?? false };
  }

  /** 400 when the backend is frozen (for delete, extend, retype, snapshots). */
  async assertNotFrozen(tx?: StoreOps): Promise<void> {
    if ((await this.backend(tx)).frozen) {
      throw invalid('volume', `The volume backend ${VOLUME_HOST} is frozen; an admin must thaw it (PUT os-services/thaw) first.`);
    }
  }

  private async write(id: string, fn: (cur: ServiceState) => ServiceState): Promise<void> {
    await this.ctx.store.tx(async (tx) => {
      const cur = await this.repo.get(id, tx);
      const next = { ...fn(cur ?? { id, disabled: false, disabledReason: null, frozen: false, updatedAt: this.ctx.now() }), updatedAt: this.ctx.now() };
      if (cur) await this.repo.put(next, tx);
      else await this.repo.create(next, tx);
    });
  }
}
