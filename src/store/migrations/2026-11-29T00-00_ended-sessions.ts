import type { Migration } from 'kysely';
import type { Dialect } from '../schema';

/**
 * What ends an account's sessions, kept on the users row that every authenticated request reads
 * already (see src/services/sessions.ts): the sessions ended one by one, and a cut-off for access
 * tokens that name no session.
 */
export const endedSessions = (dialect: Dialect): Migration => ({
  async up(db) {
    await db.schema.alterTable('users').addColumn('ended_sessions', 'text').execute();
    await db.schema
      .alterTable('users')
      .addColumn('sessions_ended_at', dialect === 'postgres' ? 'timestamptz' : 'text')
      .execute();
  },
  async down(db) {
    await db.schema.alterTable('users').dropColumn('sessions_ended_at').execute();
    await db.schema.alterTable('users').dropColumn('ended_sessions').execute();
  },
});
