import { listAudit } from '../../services/audit';
import type { Resolvers } from '../generated/resolvers-types';

export const auditResolvers: Resolvers = {
  Query: {
    auditEvents: (_parent, args, context) => listAudit(context.app, args),
  },
  AuditEvent: {
    occurredAt: (event) => event.createdAt,
    actor: (event, _args, context) => (event.actorId === null ? null : context.loaders.userById.load(event.actorId)),
    subject: (event, _args, context) => (event.subjectId === null ? null : context.loaders.userById.load(event.subjectId)),
    detail: (event) => (event.detail === null ? null : JSON.stringify(event.detail)),
  },
};
