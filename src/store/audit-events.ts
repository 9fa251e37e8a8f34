import { type ExpressionBuilder, PostgresAdapter, sql } from 'kysely';
import { type Position, pastPosition } from './keyset';
import type { Database, Db } from './schema';
import { type AuditSource, toDate } from './schema';

/** Everything the audit log records. */
export type AuditAction =
  | 'user.signed_up'
  | 'user.created'
  | 'user.linked'
  | 'user.role_changed'
  | 'user.role_granted'
  | 'user.role_revoked'
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
  | 'api_key.revoked'
  | 'api_key.rotated'
  | 'signing_key.created'
  | 'signing_key.rotated'
  | 'signing_key.retired'
  | 'organization.created'
  | 'organization.member_added'
  | 'organization.member_role_changed'
  | 'organization.member_removed';

export interface AuditEventRecord {
  readonly id: string;
  readonly createdAt: Date;
  readonly action: AuditAction;
  readonly actorId: string | null;
  readonly subjectId: string | null;
  /** The client address of a request; null from the command line. */
  readonly address: string | null;
  readonly source: AuditSource;
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
      source: event.source,
      detail: event.detail === null ? null : JSON.stringify(event.detail),
    })
    .execute();
}

/** Up to `limit` events, newest first, older than `before`. */
/** Which audit events to list; every field optional, all given ones must match. */
export interface AuditFilter {
  readonly action?: string | null;
  readonly actorId?: string | null;
  readonly subjectId?: string | null;
  /** At or after this instant. */
  readonly since?: Date | null;
  /** Before this instant. */
  readonly until?: Date | null;
}

/** `WHERE` condition: the event matches every field `filter` gives. */
function matching(filter: AuditFilter) {
  return (eb: ExpressionBuilder<Database, 'audit_events'>) => {
    const conditions = [];
    if (filter.action != null) conditions.push(eb('action', '=', filter.action));
    if (filter.actorId != null) conditions.push(eb('actor_id', '=', filter.actorId));
    if (filter.subjectId != null) conditions.push(eb('subject_id', '=', filter.subjectId));
    if (filter.since != null) conditions.push(eb('occurred_at', '>=', filter.since.toISOString()));
    if (filter.until != null) conditions.push(eb('occurred_at', '<', filter.until.toISOString()));
    return eb.and(conditions);
  };
}

/** Up to `limit` events matching `filter` before `before`, newest first. */
export async function listAuditEvents(
  db: Db,
  limit: number,
  before: Position | null,
  filter: AuditFilter = {},
): Promise<AuditEventRecord[]> {
  let query = db.selectFrom('audit_events').selectAll().where(matching(filter));
  if (before !== null) query = query.where(pastPosition(before, 'desc', 'occurred_at'));
  const rows = await query.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.map((row) => ({
    id: row.id,
    createdAt: toDate(row.occurred_at),
    action: row.action as AuditAction,
    actorId: row.actor_id,
    subjectId: row.subject_id,
    address: row.address,
    source: row.source,
    detail: row.detail === null ? null : (JSON.parse(row.detail) as AuditEventRecord['detail']),
  }));
}

export async function countAuditEvents(db: Db, filter: AuditFilter = {}): Promise<number> {
  const row = await db
    .selectFrom('audit_events')
    .where(matching(filter))
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Records `event` unless an event with the same action, address and detail was recorded since
 * `since`; true when it wrote. One statement (INSERT … SELECT … WHERE NOT EXISTS), so SQLite decides
 * it under its write lock; PostgreSQL first takes an advisory lock on those three values, since two
 * such statements under READ COMMITTED would not see each other's row.
 */
export async function insertAuditEventUnlessRecent(db: Db, event: AuditEventRecord, since: Date): Promise<boolean> {
  const detail = event.detail === null ? null : JSON.stringify(event.detail);
  return db.transaction().execute(async (trx) => {
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`select pg_advisory_xact_lock(hashtext(${`gatehouse.audit:${event.action}:${event.address ?? ''}:${detail ?? ''}`}))`.execute(
        trx,
      );
    }
    const recent = trx
      .selectFrom('audit_events')
      .select(sql`1`.as('one'))
      .where('action', '=', event.action)
      .where('occurred_at', '>=', since.toISOString())
      .where((eb) => (event.address === null ? eb('address', 'is', null) : eb('address', '=', event.address)))
      .where((eb) => (detail === null ? eb('detail', 'is', null) : eb('detail', '=', detail)));
    const result = await trx
      .insertInto('audit_events')
      .columns(['id', 'occurred_at', 'action', 'actor_id', 'subject_id', 'address', 'source', 'detail'])
      .expression(
        trx
          .selectNoFrom((eb) => [
            eb.val(event.id).as('id'),
            eb.val(event.createdAt.toISOString()).as('occurred_at'),
            eb.val(event.action).as('action'),
            eb.val(event.actorId).as('actor_id'),
            eb.val(event.subjectId).as('subject_id'),
            eb.val(event.address).as('address'),
            eb.val(event.source).as('source'),
            eb.val(detail).as('detail'),
          ])
          .where((eb) => eb.not(eb.exists(recent))),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  });
}
