import { migrateToLatest, openStore, type Store } from '../../src/store/database';
import { newId } from '../../src/store/ids';
import { insertUser, setUserDisabled, updateUserRole } from '../../src/store/users';
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

  async function twoAdmins(): Promise<[string, string]> {
    await store.db.updateTable('users').set({ role: 'USER' }).execute();
    const ids: string[] = [];
    for (const name of ['a', 'b']) {
      const user = await insertUser(store.db, {
        id: newId(),
        email: `${name}-${newId()}@example.test`,
        name,
        passwordHash: 'x',
        role: 'ADMIN',
        now: new Date(),
      });
      ids.push(user.id);
    }
    return ids as [string, string];
  }

  const admins = async () =>
    Number(
      (
        await store.db
          .selectFrom('users')
          .select((eb) => eb.fn.countAll().as('n'))
          .where('role', '=', 'ADMIN')
          .where('disabled_at', 'is', null)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('survives two admins demoting each other at the same moment', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = await twoAdmins();
      const results = await Promise.all([updateUserRole(store.db, a, 'USER'), updateUserRole(store.db, b, 'USER')]);
      expect(results.map((r) => r.status).sort()).toEqual(['changed', 'last-admin']);
      expect(await admins()).toBe(1);
    }
  });

  it('survives two admins disabling each other at the same moment', async () => {
    for (let round = 0; round < 5; round++) {
      const [a, b] = await twoAdmins();
      const results = await Promise.all([setUserDisabled(store.db, a, new Date()), setUserDisabled(store.db, b, new Date())]);
      expect(results.map((r) => r.status).sort()).toEqual(['changed', 'last-admin']);
      expect(await admins()).toBe(1);
    }
  });
});
