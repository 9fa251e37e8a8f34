import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { migrateToLatest, openStore, type Store } from '../../src/store/database';
import { findLoginByEmail, findUserById, grantUserRole } from '../../src/store/users';
import { migrateJustBefore } from '../helpers/store';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';

/*
 * Migration 2026-12-07T00-00_user-roles on a database that already holds users (USERs and ADMINs,
 * with keys, sessions and notes): every user keeps exactly the role it had, as its one row in
 * user_roles; users.role and its CHECK are gone, so any role the application declares can be stored;
 * nothing else is lost, and deleting a user still cascades to its roles.
 */
describe.each(databasesUnderTest())('the user-roles migration on %s', (dialect) => {
  let database: ThrowawayDatabase;
  let store: Store;
  const now = '2026-11-30T10:00:00.000Z';
  const users = [
    { id: randomUUID(), email: 'ada@example.test', role: 'ADMIN' },
    { id: randomUUID(), email: 'bob@example.test', role: 'USER' },
    { id: randomUUID(), email: 'cy@example.test', role: 'USER' },
  ];

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    store = openStore(database.config);
    await migrateJustBefore(store, dialect, '2026-12-07T00-00_user-roles');
    for (const { id, email, role } of users) {
      await sql`insert into users (id, email, email_normalized, password_hash, role, created_at)
                values (${id}, ${email}, ${email}, 'h', ${role}, ${now})`.execute(store.db);
      await sql`insert into api_keys (id, user_id, name, prefix, secret_hash, created_at)
                values (${randomUUID()}, ${id}, 'k', 'p', ${randomUUID()}, ${now})`.execute(store.db);
      await sql`insert into notes (id, author_id, title, body, visibility, created_at)
                values (${randomUUID()}, ${id}, 't', 'b', 'PUBLIC', ${now})`.execute(store.db);
    }
    // The old constraint: nothing but USER and ADMIN could be stored.
    const pinned = await sql`update users set role = 'ACCOUNTANT' where id = ${users[1]?.id}`.execute(store.db).then(
      () => false,
      () => true,
    );
    expect(pinned).toBe(true);
    await migrateToLatest(store);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('gives every user the role it had as its one granted role, and loses nothing', async () => {
    const rows = await store.db.selectFrom('user_roles').select(['user_id', 'role', 'granted_at']).execute();
    expect(rows.map((r) => [r.user_id, r.role]).sort()).toEqual(users.map((u) => [u.id, u.role]).sort());
    expect(rows.every((r) => new Date(r.granted_at).toISOString() === now)).toBe(true);
    for (const { id, email, role } of users) {
      expect(await findUserById(store.db, id)).toMatchObject({ id, email, roles: [role] });
      expect((await findLoginByEmail(store.db, email))?.passwordHash).toBe('h');
    }
    for (const table of ['users', 'api_keys', 'notes']) {
      const count = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(store.db);
      expect([table, Number(count.rows[0]?.n)]).toEqual([table, 3]);
    }
  });

  it('drops users.role: any role the application declares can be granted, and a deleted user takes its roles along', async () => {
    const columns =
      dialect === 'postgres'
        ? (
            await sql<{ name: string }>`select column_name as name from information_schema.columns where table_name = 'users'`.execute(
              store.db,
            )
          ).rows
        : (await sql<{ name: string }>`select name from pragma_table_info('users')`.execute(store.db)).rows;
    expect(columns.map((c) => c.name)).not.toContain('role');
    const bob = users[1]?.id as string;
    expect(await grantUserRole(store.db, bob, 'ACCOUNTANT', new Date(now))).toMatchObject({
      status: 'changed',
      user: { roles: ['ACCOUNTANT', 'USER'] },
    });
    await store.db.deleteFrom('users').where('id', '=', bob).execute();
    expect(await store.db.selectFrom('user_roles').select('role').where('user_id', '=', bob).execute()).toEqual([]);
  });
});
