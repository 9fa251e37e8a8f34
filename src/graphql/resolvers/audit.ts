import { listAudit } from '../../services/audit';
import type { Resolvers } from '../generated/resolvers-types';

export const auditResolvers: Resolvers = {
  Query: {
    auditEvents: (_parent, args, context) => listAudit(context.app, args),
  },
  AuditEvent: {
    occurredAt: (event) => event.createdAt,
    detail: (event) => (event.detail === null ? null : JSON.stringify(event.detail)),
  },
};
