import { sql, type Migration } from 'kysely';
import type { Dialect } from '../schema';

/**
 * Whether an audit event came from a request or from the command line. Before this column the
 * command line wrote `address = 'cli'`, a value a client could also produce through
 * X-Forwarded-For with TRUST_PROXY on. Those older rows are marked `cli` here; which of them were
 * forged cannot be told afterwards, so their address is kept as it was written.
 */
export const auditSource = (_dialect: Dialect): Migration => ({
  async up(db) {
    await db.schema
      .alterTable('audit_events')
      .addColumn('source', 'text', (c) => c.notNull().defaultTo('request'))
      .execute();
    await sql`update audit_events set source = 'cli' where address = 'cli'`.execute(db);
  },
  async down(db) {
    await db.schema.alterTable('audit_events').dropColumn('source').execute();
  },
});
