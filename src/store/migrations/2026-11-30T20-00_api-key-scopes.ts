import type { Migration } from 'kysely';
import type { Dialect } from '../schema';

/**
 * The scopes an API key holds: a JSON array of scope names, or NULL for a key that holds every
 * scope. Keys made before scopes existed keep the power they had (NULL), as do keys made without a
 * `scopes` argument by a caller that holds every scope (src/services/api-keys.ts).
 */
export const apiKeyScopes = (_dialect: Dialect): Migration => ({
  async up(db) {
    await db.schema.alterTable('api_keys').addColumn('scopes', 'text').execute();
  },
  async down(db) {
    await db.schema.alterTable('api_keys').dropColumn('scopes').execute();
  },
});
