import { notFound } from '../../../core/errors.js';
import { hexId } from '../../../core/ids.js';
import type { Catalog } from './catalog.js';
import { KIND, type Endpoint, type PolicyAssociation, type PolicyBlob } from './models.js';
import { Repo, type IdentityContext } from './context.js';
import { defined } from './projects.js';

export interface PolicyTarget {
  endpointId?: string;
  serviceId?: string;
  regionId?: string;
}

const assocId = (t: PolicyTarget) => `${t.endpointId ?? ''}/${t.serviceId ?? ''}/${t.regionId ?? ''}`;

/**
 * Policy blobs (`/v3/policies`, opaque documents Keystone only stores) and OS-ENDPOINT-POLICY:
 * which blob applies to an endpoint. An endpoint takes its own association first, then its
 * service's in its region or the nearest parent region, then its service's.
 */
export class Policies {
  readonly repo: Repo<PolicyBlob>;
  readonly associations: Repo<PolicyAssociation>;

  constructor(
    ctx: IdentityContext,
    private readonly catalog: Catalog,
  ) {
    this.repo = new Repo<PolicyBlob>(ctx, KIND.policy, 'policy');
    this.associations = new Repo<PolicyAssociation>(ctx, KIND.policyAssociation, 'policy association');
  }

  create(input: Omit<PolicyBlob, 'id'>): Promise<PolicyBlob> {
    return this.repo.create({ id: hexId(), ...input });
  }

  async update(id: string, patch: Partial<Omit<PolicyBlob, 'id'>>): Promise<PolicyBlob> {
    const cur = await this.repo.require(id);
    const next = { ...cur, ...defined(patch), id };
    if (patch.extra) next.extra = { ...cur.extra, ...patch.extra };
    return this.repo.update(next);
  }

  async delete(id: string): Promise<void> {
    await this.repo.require(id);
    await this.associations.deleteWhere({ policyId: id });
    await this.repo.delete(id);
  }

  private async checkTarget(policyId: string, t: PolicyTarget): Promise<void> {
    await this.repo.require(policyId);
    if (t.endpointId) await this.catalog.endpoints.require(t.endpointId);
    if (t.serviceId) await this.catalog.services.require(t.serviceId);
    if (t.regionId) await this.catalog.regions.require(t.regionId);
  }

  /** One policy per target: associating replaces whatever policy the target had. */
  async associate(policyId: string, t: PolicyTarget): Promise<void> {
    await this.checkTarget(policyId, t);
    const id = assocId(t);
    const a: PolicyAssociation = { id, policyId, endpointId: t.endpointId ?? null, serviceId: t.serviceId ?? null, regionId: t.regionId ?? null };
    if (await this.associations.get(id)) await this.associations.update(a);
    else await this.associations.create(a);
  }

  async checkAssociation(policyId: string, t: PolicyTarget): Promise<void> {
    await this.checkTarget(policyId, t);
    const a = await this.associations.get(assocId(t));
    if (!a || a.policyId !== policyId) throw notFound('policy association', `policy ${policyId} is not associated with ${describe(t)}`);
  }

  async dissociate(policyId: string, t: PolicyTarget): Promise<void> {
    await this.checkAssociation(policyId, t);
    await this.associations.delete(assocId(t));
  }

  /** The policy that applies to an endpoint. */
  async forEndpoint(endpointId: string): Promise<PolicyBlob> {
    const e = await this.catalog.endpoints.require(endpointId);
    const id = await this.resolve(e, await this.associations.list());
    const p = id ? await this.repo.get(id) : undefined;
    if (!p) throw notFound('policy', `no policy is associated with endpoint ${endpointId}`);
    return p;
  }

  /** Endpoints whose effective policy is this one. */
  async endpointsFor(policyId: string): Promise<Endpoint[]> {
    await this.repo.require(policyId);
    const assocs = await this.associations.list();
    const out: Endpoint[] = [];
    for (const e of await this.catalog.endpoints.list()) if ((await this.resolve(e, assocs)) === policyId) out.push(e);
    return out;
  }

  private async resolve(e: Endpoint, assocs: PolicyAssociation[]): Promise<string | undefined> {
    const find = (t: PolicyTarget) => assocs.find((a) => a.id === assocId(t))?.policyId;
    const direct = find({ endpointId: e.id });
    if (direct) return direct;
    let region = e.regionId;
    for (let depth = 0; region && depth < 100; depth++) {
      const hit = find({ serviceId: e.serviceId, regionId: region });
      if (hit) return hit;
      region = (await this.catalog.regions.get(region))?.parentRegionId ?? null;
    }
    return find({ serviceId: e.serviceId });
  }

  /** Drops associations naming a deleted endpoint, service or region. */
  async forget(t: PolicyTarget): Promise<void> {
    if (t.endpointId) await this.associations.deleteWhere({ endpointId: t.endpointId });
    if (t.serviceId) await this.associations.deleteWhere({ serviceId: t.serviceId });
    if (t.regionId) await this.associations.deleteWhere({ regionId: t.regionId });
  }
}

function describe(t: PolicyTarget): string {
  if (t.endpointId) return `endpoint ${t.endpointId}`;
  return t.regionId ? `service ${t.serviceId} in region ${t.regionId}` : `service ${t.serviceId}`;
}
