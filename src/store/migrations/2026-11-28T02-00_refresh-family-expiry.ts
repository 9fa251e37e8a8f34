import type { Migration } from 'kysely';
import type { Dialect } from '../schema';

/** When the refresh-token family (one login) ends, however often its tokens are renewed. */
export const refreshFamilyExpiry = (dialect: Dialect): Migration => ({
  async up(db) {
    await db.schema
      .alterTable('refresh_tokens')
      .addColumn('family_expires_at', dialect === 'postgres' ? 'timestamptz' : 'text')
      .execute();
  },
  async down(db) {
    await db.schema.alterTable('refresh_tokens').dropColumn('family_expires_at').execute();
  },
});
