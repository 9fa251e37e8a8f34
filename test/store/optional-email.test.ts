import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { migrateToLatest, openStore, type Store } from '../../src/store/database';
import { migrateJustBefore } from '../helpers/store';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';

/*
 * Migration 2026-12-06T00-00_optional-email on a database holding rows in every table that
 * references users (gatehouse's, and the notes example's own): nothing is lost, the made-up addresses of linked accounts become NULL, email
 * may be NULL from then on (twice, too), and deleting a user still cascades.
 */
let store: Store;

/** True when the statement failed. (Not `rejects.toThrow()`: better-sqlite3's errors come from the realm of the first test file that loaded it.) */
const refused = (statement: Promise<unknown>): Promise<boolean> =>
  statement.then(
    () => false,
    () => true,
  );

async function countOf(table: string): Promise<number> {
  const rows = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(store.db);
  return Number(rows.rows[0]?.n);
}

describe.each(databasesUnderTest())('the optional-email migration on %s', (dialect) => {
  let database: ThrowawayDatabase;

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    store = openStore(database.config);
    // A notes table as installs before this session have it (gatehouse's first migration made it;
    // now the example's own migration does, with the same columns): a table of the application's
    // that references users, which the SQLite rebuild must carry over too.
    await migrateJustBefore(store, dialect, '2026-12-06T00-00_optional-email');
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('keeps every row, turns placeholder addresses of linked accounts into NULL, and lets email be NULL', async () => {
    const now = new Date().toISOString();
    const local = randomUUID();
    const linked = randomUUID();
    const squatter = randomUUID();
    const idn = randomUUID();
    const placeholder = 'a'.repeat(32);
    const users = [
      [local, 'Local@Example.com', 'local@example.com', 'h'],
      [linked, `${placeholder}@external.invalid`, `${placeholder}@external.invalid`, '!external'],
      // A local account under a made-up address (a squatter's) keeps it: it is a real row with a password.
      [squatter, `${'b'.repeat(32)}@external.invalid`, `${'b'.repeat(32)}@external.invalid`, 'h'],
      [idn, 'x@bücher.example', 'x@bücher.example', 'h'],
    ];
    for (const [id, email, normalized, hash] of users) {
      await sql`insert into users (id, email, email_normalized, password_hash, role, created_at)
                values (${id}, ${email}, ${normalized}, ${hash}, 'USER', ${now})`.execute(store.db);
    }
    await sql`insert into api_keys (id, user_id, name, prefix, secret_hash, created_at) values (${randomUUID()}, ${local}, 'k', 'p', ${randomUUID()}, ${now})`.execute(
      store.db,
    );
    await sql`insert into refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at) values (${randomUUID()}, ${local}, 'f', ${randomUUID()}, ${now}, ${now})`.execute(
      store.db,
    );
    await sql`insert into notes (id, author_id, title, body, visibility, created_at) values (${randomUUID()}, ${local}, 't', 'b', 'PUBLIC', ${now})`.execute(
      store.db,
    );
    await sql`insert into external_identities (issuer, subject, user_id, created_at) values ('https://idp.example', 's', ${linked}, ${now})`.execute(
      store.db,
    );

    // To the latest: users.role has become user_roles since (2026-12-07T00-00_user-roles), so rows added below have no role column.
    await migrateToLatest(store);

    const rows = await store.db.selectFrom('users').select(['id', 'email', 'email_normalized']).orderBy('id').execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(rows).toHaveLength(4);
    expect(byId.get(local)).toEqual({ id: local, email: 'Local@Example.com', email_normalized: 'local@example.com' });
    expect(byId.get(linked)).toEqual({ id: linked, email: null, email_normalized: null });
    expect(byId.get(squatter)?.email).toBe(`${'b'.repeat(32)}@external.invalid`);
    expect(byId.get(idn)).toEqual({ id: idn, email: 'x@xn--bcher-kva.example', email_normalized: 'x@xn--bcher-kva.example' });
    for (const table of ['api_keys', 'refresh_tokens', 'notes', 'external_identities'] as const) {
      expect([table, await countOf(table)]).toEqual([table, 1]);
    }

    // Two accounts without an email, side by side.
    await sql`insert into users (id, email, email_normalized, password_hash, created_at) values (${randomUUID()}, null, null, '!external', ${now})`.execute(
      store.db,
    );
    // Foreign keys still hold and still cascade.
    expect(
      await refused(
        sql`insert into notes (id, author_id, title, body, visibility, created_at) values (${randomUUID()}, ${randomUUID()}, 't', 'b', 'PUBLIC', ${now})`.execute(
          store.db,
        ),
      ),
    ).toBe(true);
    await store.db.deleteFrom('users').where('id', '=', local).execute();
    for (const table of ['api_keys', 'refresh_tokens', 'notes'] as const) {
      expect([table, await countOf(table)]).toEqual([table, 0]);
    }
    // Still unique when present.
    expect(
      await refused(
        sql`insert into users (id, email, email_normalized, password_hash, created_at) values (${randomUUID()}, 'x@xn--bcher-kva.example', 'x@xn--bcher-kva.example', 'h', ${now})`.execute(
          store.db,
        ),
      ),
    ).toBe(true);
  });
});
