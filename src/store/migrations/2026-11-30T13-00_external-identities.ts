import type { Migration } from 'kysely';
import type { Dialect } from '../schema';

/**
 * Which gatehouse user a provider account (issuer, subject) acts as; written on the account's
 * first request (src/store/external-identities.ts). The primary key makes two instances linking
 * the same account at once end with one user.
 */
export const externalIdentities = (dialect: Dialect): Migration => ({
  async up(db) {
    await db.schema
      .createTable('external_identities')
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('created_at', dialect === 'postgres' ? 'timestamptz' : 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('external_identities_pkey', ['issuer', 'subject'])
      .execute();
    await db.schema.createIndex('external_identities_user').on('external_identities').column('user_id').execute();
  },
  async down(db) {
    await db.schema.dropTable('external_identities').ifExists().execute();
  },
});
