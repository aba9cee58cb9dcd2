import type { FastifyInstance } from 'fastify';
import { bodyProject, parseAttrs, type AttrMap } from '../api/attrs.js';
import * as c from '../api/convert.js';
import { createReply, listReply, showReply, type RouteDeps } from '../api/reply.js';
import { E } from '../errors.js';
import { requireAdmin, targetProject } from '../policy.js';
import { labelRuleView, labelView } from '../views/misc.js';

type P = { Params: { id: string } };

const LABEL: AttrMap = {
  name: { post: true, conv: c.str(255) },
  description: { post: true, conv: c.str(1024) },
  shared: { post: true, conv: c.bool },
  tenant_id: { post: true, conv: c.str(255) },
  project_id: { post: true, conv: c.str(255) },
};
const RULE: AttrMap = {
  metering_label_id: { post: true, required: true, conv: c.uuid },
  direction: { post: true, conv: c.oneOf(['ingress', 'egress'] as const) },
  excluded: { post: true, conv: c.bool },
  remote_ip_prefix: { post: true, conv: c.nullable(c.str(64)) },
  source_ip_prefix: { post: true, conv: c.nullable(c.str(64)) },
  destination_ip_prefix: { post: true, conv: c.nullable(c.str(64)) },
  tenant_id: { post: true, conv: c.str(255) },
  project_id: { post: true, conv: c.str(255) },
};

/** Metering labels and rules, under /metering (admin only). */
export function meteringRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { net } = deps;
  const m = net.metering;

  app.get('/metering/metering-labels', async (req) => {
    requireAdmin(req.auth, 'get_metering_label');
    return listReply(req, deps, 'metering_labels', (await m.labels()).map(labelView), E.meteringLabelNotFound);
  });
  app.get<P>('/metering/metering-labels/:id', async (req) => {
    requireAdmin(req.auth, 'get_metering_label');
    return showReply(req, 'metering_label', labelView(await m.label(req.params.id)));
  });
  app.post('/metering/metering-labels', async (req, reply) =>
    createReply(req, reply, deps, 'metering_label', 'metering_labels', async (item) => {
      requireAdmin(req.auth, 'create_metering_label');
      const b = parseAttrs(item, 'metering_label', LABEL, 'POST');
      const projectId = targetProject(req.auth, 'create_metering_label', bodyProject(b));
      return labelView(await m.createLabel(projectId, { name: b.name as string | undefined, description: b.description as string | undefined, shared: b.shared as boolean | undefined }));
    }),
  );
  app.delete<P>('/metering/metering-labels/:id', async (req, reply) => {
    requireAdmin(req.auth, 'delete_metering_label');
    await m.deleteLabel(req.params.id);
    reply.code(204).send();
  });

  app.get('/metering/metering-label-rules', async (req) => {
    requireAdmin(req.auth, 'get_metering_label_rule');
    return listReply(req, deps, 'metering_label_rules', (await m.rules()).map(labelRuleView), E.meteringRuleNotFound);
  });
  app.get<P>('/metering/metering-label-rules/:id', async (req) => {
    requireAdmin(req.auth, 'get_metering_label_rule');
    return showReply(req, 'metering_label_rule', labelRuleView(await m.rule(req.params.id)));
  });
  app.post('/metering/metering-label-rules', async (req, reply) =>
    createReply(req, reply, deps, 'metering_label_rule', 'metering_label_rules', async (item) => {
      requireAdmin(req.auth, 'create_metering_label_rule');
      const b = parseAttrs(item, 'metering_label_rule', RULE, 'POST');
      const rule = await m.createRule({
        meteringLabelId: b.metering_label_id as string,
        direction: b.direction as 'ingress' | 'egress' | undefined,
        excluded: b.excluded as boolean | undefined,
        remoteIpPrefix: b.remote_ip_prefix as string | null | undefined,
        sourceIpPrefix: b.source_ip_prefix as string | null | undefined,
        destinationIpPrefix: b.destination_ip_prefix as string | null | undefined,
      });
      return labelRuleView(rule);
    }),
  );
  app.delete<P>('/metering/metering-label-rules/:id', async (req, reply) => {
    requireAdmin(req.auth, 'delete_metering_label_rule');
    await m.deleteRule(req.params.id);
    reply.code(204).send();
  });
}
