import type { Migration } from 'kysely';
import type { Dialect } from '../schema';

/**
 * Every sign-up attempt, by client address, for SIGNUPS_PER_ADDRESS. A row is written before the
 * attempt is decided (as login_failures does for logins), so parallel attempts see each other.
 */
export const signupAttempts = (dialect: Dialect): Migration => ({
  async up(db) {
    const isPostgres = dialect === 'postgres';
    await db.schema
      .createTable('signup_attempts')
      .addColumn('id', isPostgres ? 'bigserial' : 'integer', (c) => (isPostgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('attempted_at', isPostgres ? 'timestamptz' : 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('signup_attempts_address').on('signup_attempts').columns(['address', 'attempted_at']).execute();
  },
  async down(db) {
    await db.schema.dropTable('signup_attempts').ifExists().execute();
  },
});
