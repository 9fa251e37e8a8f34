import { newId } from '../store/ids';
import type { App } from '../app';
import {
  type AuditAction,
  type AuditFilter,
  type AuditEventRecord,
  countAuditEvents,
  insertAuditEvent,
  insertAuditEventUnlessRecent,
  listAuditEvents,
} from '../store/audit-events';
import type { AuditSource } from '../store/schema';
import { type Connection, decodeCursor, toConnection } from './pagination';
import { optionalText, validId, validPageSize } from './validation';

/**
 * Who is acting and from where: the viewer (null when anonymous or the CLI), the client address
 * (null from the command line), and whether a request or the command line acts. `source` is set by
 * the code path that builds the origin, never from anything a request carries.
 */
export interface RequestOrigin {
  readonly actorId: string | null;
  readonly address: string | null;
  readonly source: AuditSource;
}

/** The origin of actions taken from the command line (and by start-up, ADMIN_EMAIL). */
export const CLI_ORIGIN: RequestOrigin = Object.freeze({ actorId: null, address: null, source: 'cli' });

/** Records one event. Details are facts like ids, names and key prefixes; never a secret. */
export async function audit(
  app: App,
  origin: RequestOrigin,
  action: AuditAction,
  facts: { subjectId?: string | null; detail?: AuditEventRecord['detail'] } = {},
): Promise<void> {
  await insertAuditEvent(app.store.db, event(app, origin, action, facts));
}

/**
 * Records one event unless the same action with the same detail came from the same address within
 * the last `windowMs`: for refusals a caller can repeat at no cost (a locked account), which would
 * otherwise flood the log.
 */
export async function auditOncePerWindow(
  app: App,
  origin: RequestOrigin,
  action: AuditAction,
  windowMs: number,
  facts: { subjectId?: string | null; detail?: AuditEventRecord['detail'] } = {},
): Promise<void> {
  const record = event(app, origin, action, facts);
  await insertAuditEventUnlessRecent(app.store.db, record, new Date(record.createdAt.getTime() - windowMs));
}

function event(
  app: App,
  origin: RequestOrigin,
  action: AuditAction,
  facts: { subjectId?: string | null; detail?: AuditEventRecord['detail'] },
): AuditEventRecord {
  return {
    id: newId(),
    createdAt: app.now(),
    action,
    actorId: origin.actorId,
    subjectId: facts.subjectId ?? null,
    address: origin.address,
    source: origin.source,
    detail: facts.detail ?? null,
  };
}

/** The filters `auditEvents` takes, as the API receives them. */
export interface AuditQuery {
  readonly first?: number | null;
  readonly after?: string | null;
  readonly action?: string | null;
  readonly actorId?: string | null;
  readonly subjectId?: string | null;
  readonly since?: Date | null;
  readonly until?: Date | null;
}

/** The audit log, newest first; only the events matching every filter given. */
export async function listAudit(app: App, args: AuditQuery): Promise<Connection<AuditEventRecord>> {
  const limit = validPageSize(args.first);
  const filter: AuditFilter = {
    action: optionalText(args.action, 64, 'action'),
    actorId: args.actorId == null ? null : validId(args.actorId, 'actorId'),
    subjectId: args.subjectId == null ? null : validId(args.subjectId, 'subjectId'),
    since: args.since ?? null,
    until: args.until ?? null,
  };
  const [rows, total] = await Promise.all([
    listAuditEvents(app.store.db, limit + 1, decodeCursor(args.after), filter),
    countAuditEvents(app.store.db, filter),
  ]);
  return toConnection(rows, limit, total);
}
