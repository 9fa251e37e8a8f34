import { migrateToLatest, openStore, type Store } from '../../src/store/database';
import { newId } from '../../src/store/ids';
import { insertUser, revokeUserRole, setUserDisabled, updateUserRole } from '../../src/store/users';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';

describe.each(databasesUnderTest())('the last ADMIN on %s', (dialect) => {
  let database: ThrowawayDatabase;
  let store: Store;
  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    store = openStore(database.config);
    await migrateToLatest(store);
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  /** `count` new ADMINs (also holding USER) and no other: every earlier user loses ADMIN. */
  async function admins(count: number): Promise<string[]> {
    await store.db.deleteFrom('user_roles').where('role', '=', 'ADMIN').execute();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const user = await insertUser(store.db, {
        id: newId(),
        email: `admin${i}-${newId()}@example.test`,
        name: `admin ${i}`,
        passwordHash: 'x',
        roles: ['ADMIN', 'USER'],
        now: new Date(),
      });
      ids.push(user.id);
    }
    return ids;
  }
  const twoAdmins = async () => (await admins(2)) as [string, string];

  const activeAdmins = async () =>
    Number(
      (
        await store.db
          .selectFrom('users')
          .innerJoin('user_roles', 'user_roles.user_id', 'users.id')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('user_roles.role', '=', 'ADMIN')
          .where('disabled_at', 'is', null)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('leaves exactly one ADMIN when 20 ADMINs lose ADMIN at the same moment (revokeRole)', async () => {
    const ids = await admins(20);
    const results = await Promise.all(ids.map((id) => revokeUserRole(store.db, id, 'ADMIN')));
    expect(results.filter((r) => r.status === 'changed')).toHaveLength(19);
    expect(results.filter((r) => r.status === 'last-admin')).toHaveLength(1);
    expect(await activeAdmins()).toBe(1);
  });

  it('survives two admins demoting each other at the same moment', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = await twoAdmins();
      const results = await Promise.all([updateUserRole(store.db, a, 'USER', new Date()), updateUserRole(store.db, b, 'USER', new Date())]);
      expect(results.map((r) => r.status).sort()).toEqual(['changed', 'last-admin']);
      expect(await activeAdmins()).toBe(1);
    }
  });

  it('survives two admins disabling each other at the same moment', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = await twoAdmins();
      const results = await Promise.all([setUserDisabled(store.db, a, new Date()), setUserDisabled(store.db, b, new Date())]);
      expect(results.map((r) => r.status).sort()).toEqual(['changed', 'last-admin']);
      expect(await activeAdmins()).toBe(1);
    }
  });
});
