import { sql } from 'kysely';
import type { DatabaseConfig } from '../../src/config';
import { findApiKeyById, insertApiKey, revokeApiKey, touchApiKey } from '../../src/store/api-keys';
import { openStore } from '../../src/store/database';
import { newId } from '../../src/store/ids';
import { findUserById, listUsers, setUserDisabled, type UserRecord } from '../../src/store/users';
import { databasesUnderTest } from '../helpers/databases';
import { aUser, at, freshStore, sha256 } from '../helpers/store';

/*
 * src/store/schema.ts, run against each dialect: the same code must give the same answers on SQLite
 * (timestamps as ISO TEXT) and PostgreSQL (timestamptz).
 */
describe.each(databasesUnderTest())('stored timestamps on %s', (dialect) => {
  describe('dates', () => {
    const s = freshStore(dialect);
    const instants = [
      '0001-01-01T00:00:00.000Z',
      '1850-06-01T12:00:00.123Z',
      '1969-12-31T23:59:59.999Z',
      '1970-01-01T00:00:00.000Z',
      '2026-03-08T07:30:00.001Z', // a DST change in America/New_York
      '2026-11-28T02:00:00.500Z',
      '9999-12-31T23:59:59.999Z',
    ];
    const written = new Map<string, string>(); // user id -> instant

    beforeAll(async () => {
      for (const iso of [...instants].reverse()) {
        const user = await aUser(s.db(), { now: at(iso) });
        written.set(user.id, iso);
      }
    });

    it('reads back each written Date as the same instant, a Date, to the millisecond', async () => {
      for (const [id, iso] of written) {
        const user = await findUserById(s.db(), id);
        expect(user?.createdAt).toBeInstanceOf(Date);
        expect(user?.createdAt.toISOString()).toBe(iso);
      }
      const now = new Date();
      const user = await aUser(s.db(), { now });
      expect((await findUserById(s.db(), user.id))?.createdAt.getTime()).toBe(now.getTime());
      await s.db().deleteFrom('users').where('id', '=', user.id).execute();
    });

    it('orders and compares stored instants chronologically', async () => {
      const listed = await listUsers(s.db(), 100, null);
      expect(listed.map((u) => u.createdAt.toISOString())).toEqual(instants);
      const middle = listed[3] as UserRecord;
      const after = await listUsers(s.db(), 100, { createdAt: middle.createdAt, id: middle.id });
      expect(after.map((u) => u.createdAt.toISOString())).toEqual(instants.slice(4));
    });

    it('round-trips nullable timestamps through every table that has them', async () => {
      const owner = await aUser(s.db(), { role: 'ADMIN' });
      const disabled = await aUser(s.db());
      const d = at('1999-12-31T23:59:59.999Z');
      expect(await setUserDisabled(s.db(), disabled.id, d)).toMatchObject({ status: 'changed' });
      expect((await findUserById(s.db(), disabled.id))?.disabledAt?.toISOString()).toBe(d.toISOString());

      const key = await insertApiKey(s.db(), {
        id: newId(),
        userId: owner.id,
        name: 'dates',
        prefix: 'p',
        secretHash: sha256('dates'),
        now: at('2000-02-29T12:34:56.789Z'),
        expiresAt: at('2100-02-28T00:00:00.001Z'),
      });
      await touchApiKey(s.db(), key.id, at('2000-03-01T00:00:00.002Z'), 60_000);
      await revokeApiKey(s.db(), key.id, at('2000-03-01T00:00:00.003Z'));
      const read = await findApiKeyById(s.db(), key.id);
      expect([read?.createdAt, read?.expiresAt, read?.lastUsedAt, read?.revokedAt].map((x) => x?.toISOString())).toEqual([
        '2000-02-29T12:34:56.789Z',
        '2100-02-28T00:00:00.001Z',
        '2000-03-01T00:00:00.002Z',
        '2000-03-01T00:00:00.003Z',
      ]);
      // Remove them so the ordering test above keeps its exact list if run again.
      await s.db().deleteFrom('users').where('id', 'in', [owner.id, disabled.id]).execute();
    });

    it('reads the same instants through a second connection (PostgreSQL: session TimeZone America/New_York)', async () => {
      const base = s.config();
      let config: DatabaseConfig = base;
      if (base.dialect === 'postgres') {
        const url = new URL(base.url);
        url.searchParams.set('options', '-c TimeZone=America/New_York');
        config = { dialect: 'postgres', url: url.toString() };
      }
      const second = openStore(config);
      try {
        if (second.dialect === 'postgres') {
          const tz = await sql<{ TimeZone: string }>`show timezone`.execute(second.db);
          expect(tz.rows[0]?.TimeZone).toBe('America/New_York');
        }
        for (const [id, iso] of written) {
          expect((await findUserById(second.db, id))?.createdAt.toISOString()).toBe(iso);
        }
        // And a write through that connection reads back the same through the first.
        const user = await aUser(second.db, { now: at('2026-07-04T03:59:59.999Z') });
        expect((await findUserById(s.db(), user.id))?.createdAt.toISOString()).toBe('2026-07-04T03:59:59.999Z');
        await second.db.deleteFrom('users').where('id', '=', user.id).execute();
      } finally {
        await second.close();
      }
    });
  });
});
