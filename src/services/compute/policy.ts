import type { FastifyRequest } from 'fastify';
import { forbidden, unauthorized } from '../../core/errors.js';
import type { Caller } from './logic/models.js';

// NOTE: Nova's defaults as devstack runs them (enforce_scope off): a project-scoped token is
// needed; the admin role may do everything in every project; members write in their project;
// a reader (only) may read. Admin-only APIs (flavor management, hypervisors, services, quota
// updates, all_tenants) refuse everyone else with a 403.
export type Rule = 'read' | 'write' | 'admin';

/** The caller of a compute request, after the rule's check (401 without a token, 403 when refused). */
export function authorize(req: FastifyRequest, rule: Rule): Caller {
  const a = req.auth;
  if (!a) throw unauthorized();
  if (!a.projectId) throw forbidden('Compute requests need a project-scoped token.');
  const admin = a.roles.includes('admin');
  const caller: Caller = { userId: a.userId, projectId: a.projectId, admin, requestId: req.id };
  if (admin) return caller;
  if (rule === 'admin') throw forbidden(`Policy doesn't allow this operation to be performed.`);
  if (rule === 'write' && !a.roles.includes('member')) throw forbidden(`Policy doesn't allow this operation to be performed by a reader.`);
  return caller;
}

/** A non-admin may only act on their own project's quotas and usage. */
export function requireOwnProject(caller: Caller, projectId: string): void {
  if (!caller.admin && caller.projectId !== projectId) throw forbidden(`Policy doesn't allow this operation to be performed on project ${projectId}.`);
}
