import { newId } from '../store/ids';
import type { App } from '../app';
import { type AuditAction, type AuditEventRecord, countAuditEvents, insertAuditEvent, listAuditEvents } from '../store/audit-events';
import { type Connection, decodeCursor, toConnection } from './pagination';
import { validPageSize } from './validation';

/** Who is acting and from where: the viewer (null when anonymous or the CLI) and the client address. */
export interface RequestOrigin {
  readonly actorId: string | null;
  readonly address: string | null;
}

/** The origin of actions taken from the command line. */
export const CLI_ORIGIN: RequestOrigin = Object.freeze({ actorId: null, address: 'cli' });

/** Records one event. Details are facts like ids, names and key prefixes; never a secret. */
export async function audit(
  app: App,
  origin: RequestOrigin,
  action: AuditAction,
  facts: { subjectId?: string | null; detail?: AuditEventRecord['detail'] } = {},
): Promise<void> {
  await insertAuditEvent(app.store.db, {
    id: newId(),
    createdAt: app.now(),
    action,
    actorId: origin.actorId,
    subjectId: facts.subjectId ?? null,
    address: origin.address,
    detail: facts.detail ?? null,
  });
}

/** The audit log, newest first. */
export async function listAudit(app: App, args: { first?: number | null; after?: string | null }): Promise<Connection<AuditEventRecord>> {
  const limit = validPageSize(args.first);
  const [rows, total] = await Promise.all([listAuditEvents(app.store.db, limit + 1, decodeCursor(args.after)), countAuditEvents(app.store.db)]);
  return toConnection(rows, limit, total);
}
