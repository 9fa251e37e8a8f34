import { type Migration, sql } from 'kysely';
import type { Dialect } from '../schema';

/**
 * The ES256 keys gatehouse signs access tokens with (src/store/signing-keys.ts), shared by every
 * instance: the public key as a JWK, the private key encrypted with SIGNING_KEYS_SECRET
 * (src/auth/key-encryption.ts), when it was made (the newest key not retired signs) and when it was
 * retired (it verifies nothing from then on). On PostgreSQL every change notifies
 * `gatehouse_credentials` with `signing_keys:<kid>` in the changing transaction, as users and
 * api_keys do (migration 2026-11-29T03-00_credential-notify): every instance's key ring reloads
 * when it is told, inserts included (a new key must be known before its first token arrives).
 * SQLite needs nothing: `PRAGMA data_version` announces every commit.
 */
export const signingKeys = (dialect: Dialect): Migration => ({
  async up(db) {
    const time = dialect === 'postgres' ? 'timestamptz' : 'text';
    await db.schema
      .createTable('signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('private_key', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('retired_at', time)
      .execute();
    if (dialect !== 'postgres') return;
    await sql`
      create function gatehouse_notify_signing_key_change() returns trigger language plpgsql as $$
      begin
        perform pg_notify('gatehouse_credentials', 'signing_keys:' || coalesce(new.kid, old.kid));
        return null;
      end
      $$`.execute(db);
    await sql`
      create trigger signing_keys_notify_change
      after insert or update or delete on signing_keys
      for each row execute function gatehouse_notify_signing_key_change()`.execute(db);
  },
  async down(db) {
    if (dialect === 'postgres') {
      await sql`drop trigger if exists signing_keys_notify_change on signing_keys`.execute(db);
      await sql`drop function if exists gatehouse_notify_signing_key_change()`.execute(db);
    }
    await db.schema.dropTable('signing_keys').ifExists().execute();
  },
});
