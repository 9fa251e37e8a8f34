import type { Migration } from 'kysely';
import type { Dialect } from '../schema';

/**
 * A rotated API key's former secret (rotateApiKey, src/services/api-keys.ts): its hash, looked up
 * beside `secret_hash` (hence the index), and when it stops working. Both NULL for a key never
 * rotated. The PostgreSQL trigger of 2026-11-29T03-00_credential-notify covers these columns too.
 */
export const apiKeyRotation = (dialect: Dialect): Migration => ({
  async up(db) {
    await db.schema.alterTable('api_keys').addColumn('previous_secret_hash', 'text').execute();
    await db.schema
      .alterTable('api_keys')
      .addColumn('previous_secret_expires_at', dialect === 'postgres' ? 'timestamptz' : 'text')
      .execute();
    await db.schema.createIndex('api_keys_previous_secret_hash').on('api_keys').column('previous_secret_hash').execute();
  },
  async down(db) {
    await db.schema.dropIndex('api_keys_previous_secret_hash').ifExists().execute();
    await db.schema.alterTable('api_keys').dropColumn('previous_secret_expires_at').execute();
    await db.schema.alterTable('api_keys').dropColumn('previous_secret_hash').execute();
  },
});
