import type { Migration } from 'kysely';
import type { Dialect } from '../schema';

/** Who did what to whom, when and from where. Never a secret: details are names, ids and prefixes. */
export const auditLog = (dialect: Dialect): Migration => ({
  async up(db) {
    const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
    await db.schema
      .createTable('audit_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('occurred_at', ts, (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('subject_id', 'text')
      .addColumn('address', 'text')
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('audit_events_occurred_at_id').on('audit_events').columns(['occurred_at', 'id']).execute();
    await db.schema.createIndex('audit_events_subject_id').on('audit_events').columns(['subject_id', 'occurred_at']).execute();
  },
  async down(db) {
    await db.schema.dropTable('audit_events').ifExists().execute();
  },
});
