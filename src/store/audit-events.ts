import type { Db } from './database';
import { toDate } from './schema';
import type { Position } from './users';

/** Everything the audit log records. */
export type AuditAction =
  | 'user.signed_up'
  | 'user.created'
  | 'user.role_changed'
  | 'user.disabled'
  | 'user.enabled'
  | 'user.password_changed'
  | 'user.sessions_ended'
  | 'login.succeeded'
  | 'login.failed'
  | 'login.rate_limited'
  | 'refresh_token.reused'
  | 'session.logged_out'
  | 'session.logged_out_everywhere'
  | 'api_key.created'
  | 'api_key.revoked';

export interface AuditEventRecord {
  readonly id: string;
  readonly createdAt: Date;
  readonly action: AuditAction;
  readonly actorId: string | null;
  readonly subjectId: string | null;
  readonly address: string | null;
  readonly detail: Readonly<Record<string, string | number | boolean | null>> | null;
}

export async function insertAuditEvent(db: Db, event: AuditEventRecord): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: event.id,
      occurred_at: event.createdAt.toISOString(),
      action: event.action,
      actor_id: event.actorId,
      subject_id: event.subjectId,
      address: event.address,
      detail: event.detail === null ? null : JSON.stringify(event.detail),
    })
    .execute();
}

/** Up to `limit` events, newest first, older than `before`. */
export async function listAuditEvents(db: Db, limit: number, before: Position | null): Promise<AuditEventRecord[]> {
  let query = db.selectFrom('audit_events').selectAll();
  if (before !== null) {
    const at = before.createdAt.toISOString();
    query = query.where((eb) => eb.or([eb('occurred_at', '<', at), eb.and([eb('occurred_at', '=', at), eb('id', '<', before.id)])]));
  }
  const rows = await query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((row) => ({
    id: row.id,
    createdAt: toDate(row.occurred_at),
    action: row.action as AuditAction,
    actorId: row.actor_id,
    subjectId: row.subject_id,
    address: row.address,
    detail: row.detail === null ? null : (JSON.parse(row.detail) as AuditEventRecord['detail']),
  }));
}

export async function countAuditEvents(db: Db): Promise<number> {
  const row = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** How many `action` events came from `address` since `since`, and the oldest of them. */
export async function countRecentActions(db: Db, action: AuditAction, address: string, since: Date): Promise<{ count: number; oldest: Date | null }> {
  const row = await db
    .selectFrom('audit_events')
    .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('occurred_at').as('oldest')])
    .where('address', '=', address)
    .where('action', '=', action)
    .where('occurred_at', '>=', since.toISOString())
    .executeTakeFirstOrThrow();
  const oldest = row.oldest as Date | string | null;
  return { count: Number(row.n), oldest: oldest === null ? null : toDate(oldest) };
}
