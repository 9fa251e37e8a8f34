import type { Migration } from 'kysely';
import type { Dialect } from '../schema';

/**
 * When a signing key starts signing (src/auth/signing-keys.ts): `gatehouse keys rotate` publishes
 * the next key in the JWKS ahead of it, so a verifier that polls the set knows the key before its
 * first token. NULL (every key made before this migration, and the first key): from `created_at`.
 * The PostgreSQL trigger of 2026-12-06T00-00_signing-keys covers this column too (it fires on any
 * insert or update of the row).
 */
export const signingKeyActivation = (dialect: Dialect): Migration => ({
  async up(db) {
    await db.schema
      .alterTable('signing_keys')
      .addColumn('signs_from', dialect === 'postgres' ? 'timestamptz' : 'text')
      .execute();
  },
  async down(db) {
    await db.schema.alterTable('signing_keys').dropColumn('signs_from').execute();
  },
});
