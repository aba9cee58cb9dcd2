import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../core/errors.js';
import { isObject } from '../../../core/validate.js';
import { MEMBER_STATUSES, type MemberStatus } from '../logic/models.js';
import { authorize } from '../policy.js';
import { memberListView, memberView } from '../views/image.js';
import type { ImageRouteDeps } from './deps.js';

type P = { Params: { id: string } };
type PM = { Params: { id: string; member: string } };

/** `{"member": "<project id>"}` (glance image_members `RequestDeserializer.create`). */
function parseMember(body: unknown): string {
  if (!isObject(body)) throw badRequest('Expected a member in the form: {"member": "image_id"}');
  if (!('member' in body)) throw badRequest('Member to be added not specified');
  const m = body.member;
  if (typeof m !== 'string' || m.length === 0) throw badRequest("Member can't be empty");
  if (m.length > 255) throw badRequest('Member ids are at most 255 characters.');
  return m;
}

function parseStatus(body: unknown): MemberStatus {
  if (!isObject(body)) throw badRequest('Expected a status in the form: {"status": "status"}');
  if (!('status' in body)) throw badRequest('Status not specified');
  if (!MEMBER_STATUSES.includes(body.status as MemberStatus))
    throw badRequest('Incorrect request: Status must be "pending", "accepted" or "rejected".');
  return body.status as MemberStatus;
}

export function memberRoutes(app: FastifyInstance, { logic }: ImageRouteDeps): void {
  app.get<P>('/images/:id/members', async (req) => {
    const caller = authorize(req.auth, 'image:read', 'get_members');
    return memberListView(await logic.members.list(caller, req.params.id));
  });

  app.post<P>('/images/:id/members', async (req) => {
    const caller = authorize(req.auth, 'image:write', 'add_member');
    const memberId = parseMember(req.body);
    return memberView(await logic.members.add(caller, req.params.id, memberId));
  });

  app.get<PM>('/images/:id/members/:member', async (req) => {
    const caller = authorize(req.auth, 'image:read', 'get_member');
    return memberView(await logic.members.get(caller, req.params.id, req.params.member));
  });

  app.put<PM>('/images/:id/members/:member', async (req) => {
    const caller = authorize(req.auth, 'image:write', 'modify_member');
    const status = parseStatus(req.body);
    return memberView(await logic.members.setStatus(caller, req.params.id, req.params.member, status));
  });

  app.delete<PM>('/images/:id/members/:member', async (req, reply) => {
    const caller = authorize(req.auth, 'image:write', 'delete_member');
    await logic.members.remove(caller, req.params.id, req.params.member);
    reply.code(204).send();
  });
}
