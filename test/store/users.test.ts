import { isUniqueViolation } from '../../src/store/failures';
import { newId } from '../../src/store/ids';
import {
  countUsers,
  findLoginByEmail,
  findUserById,
  findUsersByIds,
  insertUser,
  listUsers,
  setUserDisabled,
  updateSessionEnds,
  grantUserRole,
  revokeUserRole,
  updateUserRole,
  type UserRecord,
} from '../../src/store/users';
import { databasesUnderTest } from '../helpers/databases';
import { aUser, at, byCreatedThenId, freshStore, walk } from '../helpers/store';

/*
 * src/store/users.ts, run against each dialect: the same code must give the same answers on SQLite
 * (timestamps as ISO TEXT) and PostgreSQL (timestamptz).
 */
describe.each(databasesUnderTest())('users on %s', (dialect) => {
  describe('users', () => {
    const s = freshStore(dialect);

    it('inserts a user and finds it by id', async () => {
      const id = newId();
      const created = at('2026-02-03T04:05:06.789Z');
      const user = await insertUser(s.db(), {
        id,
        email: 'Ada@Example.com',
        name: 'Ada',
        passwordHash: 'h-ada',
        roles: ['USER'],
        now: created,
      });
      const expected: UserRecord = {
        id,
        email: 'Ada@Example.com',
        name: 'Ada',
        roles: ['USER'],
        createdAt: created,
        disabledAt: null,
        endedSessions: null,
        sessionsEndedAt: null,
      };
      expect(user).toEqual(expected);
      expect(await findUserById(s.db(), id)).toEqual(expected);
      expect(await findUserById(s.db(), newId())).toBeUndefined();
    });

    it('writes ended sessions and the cut-off to the user row, and reads them back with the user', async () => {
      const user = await aUser(s.db());
      const cutOff = at('2026-03-04T05:06:07.000Z');
      const written = await updateSessionEnds(
        s.db(),
        user.id,
        (current) => (current === null ? '{"s1":1900000000}' : 'unexpected'),
        cutOff,
      );
      expect(written).toMatchObject({ id: user.id, endedSessions: new Map([['s1', 1_900_000_000]]), sessionsEndedAt: cutOff });
      expect(await findUserById(s.db(), user.id)).toEqual(written);
      // Without a cut-off the previous one stays; the change sees what is stored.
      const again = await updateSessionEnds(s.db(), user.id, (current) =>
        JSON.stringify({ ...Object.fromEntries(current ?? []), s2: 1_900_000_001 }),
      );
      expect(again?.endedSessions).toEqual(
        new Map([
          ['s1', 1_900_000_000],
          ['s2', 1_900_000_001],
        ]),
      );
      expect(again?.sessionsEndedAt).toEqual(cutOff);
      expect(await updateSessionEnds(s.db(), newId(), () => null)).toBeUndefined();
    });

    it('keeps a null name null', async () => {
      const user = await aUser(s.db(), { name: null });
      expect((await findUserById(s.db(), user.id))?.name).toBeNull();
    });

    it('finds several users by id, ignoring unknown ids', async () => {
      const a = await aUser(s.db());
      const b = await aUser(s.db());
      await aUser(s.db()); // not asked for
      const found = await findUsersByIds(s.db(), [b.id, newId(), a.id]);
      expect(found.sort(byCreatedThenId)).toEqual([a, b].sort(byCreatedThenId));
      expect(await findUsersByIds(s.db(), [])).toEqual([]);
    });

    it('finds a login by email compared without case (and surrounding spaces)', async () => {
      const user = await insertUser(s.db(), {
        id: newId(),
        email: 'Grace.Hopper@Example.COM',
        name: 'Grace',
        passwordHash: 'h-grace',
        roles: ['ADMIN', 'USER'],
        now: at('2026-02-01T00:00:00.000Z'),
      });
      expect(await findLoginByEmail(s.db(), 'grace.hopper@example.com')).toEqual({ user, passwordHash: 'h-grace' });
      expect(await findLoginByEmail(s.db(), '  GRACE.HOPPER@EXAMPLE.COM ')).toEqual({ user, passwordHash: 'h-grace' });
      expect(await findLoginByEmail(s.db(), 'grace.hopper@example.org')).toBeUndefined();
    });

    it('refuses a second user whose email differs only in case, with a unique violation', async () => {
      await insertUser(s.db(), {
        id: newId(),
        email: 'Dup@Example.com',
        name: null,
        passwordHash: 'h1',
        roles: ['USER'],
        now: at('2026-02-01T00:00:00.000Z'),
      });
      const outcome = await insertUser(s.db(), {
        id: newId(),
        email: 'dUP@example.COM',
        name: null,
        passwordHash: 'h2',
        roles: ['USER'],
        now: at('2026-02-01T00:00:01.000Z'),
      }).then(
        (user) => ({ inserted: user }),
        (error: unknown) => ({ error }),
      );
      expect(outcome).toHaveProperty('error');
      expect('error' in outcome && isUniqueViolation(outcome.error)).toBe(true);
      const rows = await s
        .db()
        .selectFrom('users')
        .select(['email', 'password_hash'])
        .where('email_normalized', '=', 'dup@example.com')
        .execute();
      expect(rows).toEqual([{ email: 'Dup@Example.com', password_hash: 'h1' }]);
    });

    it('refuses a second user with the same id, with a unique violation', async () => {
      const first = await aUser(s.db());
      const error = await aUser(s.db(), { id: first.id }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isUniqueViolation(error)).toBe(true);
    });
  });

  describe('users: paging and counting', () => {
    const s = freshStore(dialect);

    it('pages through users oldest first, ties ordered by id, with no duplicates or gaps', async () => {
      expect(await countUsers(s.db())).toBe(0);
      expect(await listUsers(s.db(), 5, null)).toEqual([]);

      const times = [
        '2026-03-01T10:00:00.000Z',
        '2026-03-01T10:00:00.001Z',
        '2026-03-01T10:00:00.001Z',
        '2026-03-01T10:00:00.001Z',
        '2026-03-01T10:00:00.001Z',
        '2026-03-01T11:00:00.000Z',
        '2026-03-02T00:00:00.000Z',
        '2026-03-02T00:00:00.000Z',
        '2027-01-01T00:00:00.000Z',
      ];
      // Ids in increasing order, handed out so that insertion order is not id order.
      const ids = times.map(() => newId());
      const assignment = [3, 7, 0, 5, 1, 8, 4, 2, 6];
      const inserted: UserRecord[] = [];
      for (let i = times.length - 1; i >= 0; i -= 1) {
        inserted.push(await aUser(s.db(), { id: ids[assignment[i] as number] as string, now: at(times[i] as string) }));
      }
      const expected = [...inserted].sort(byCreatedThenId);
      // Sanity: the tie group is really ordered by id, not insertion order.
      expect(expected.map((u) => u.id)).not.toEqual(inserted.map((u) => u.id));

      expect(await countUsers(s.db())).toBe(times.length);
      expect(await listUsers(s.db(), 100, null)).toEqual(expected);

      for (const pageSize of [1, 2, 3, 4]) {
        const { items, pageLengths } = await walk(pageSize, (limit, after) => listUsers(s.db(), limit, after));
        expect(items.map((u) => u.id)).toEqual(expected.map((u) => u.id));
        expect(new Set(items.map((u) => u.id)).size).toBe(times.length);
        expect(pageLengths.every((n) => n <= pageSize)).toBe(true);
      }
    });

    it('continues after a position inside a group of equal createdAt', async () => {
      const all = await listUsers(s.db(), 100, null);
      const tie = all.filter((u) => u.createdAt.getTime() === at('2026-03-01T10:00:00.001Z').getTime());
      expect(tie).toHaveLength(4);
      const second = tie[1] as UserRecord;
      const next = await listUsers(s.db(), 3, { createdAt: second.createdAt, id: second.id });
      expect(next.map((u) => u.id)).toEqual(all.slice(all.indexOf(second) + 1, all.indexOf(second) + 4).map((u) => u.id));
      const last = all[all.length - 1] as UserRecord;
      expect(await listUsers(s.db(), 3, { createdAt: last.createdAt, id: last.id })).toEqual([]);
    });

    it('counts every user, disabled ones included', async () => {
      const before = await countUsers(s.db());
      const user = await aUser(s.db());
      expect(await setUserDisabled(s.db(), user.id, at('2026-04-01T00:00:00.000Z'))).toMatchObject({ status: 'changed' });
      expect(await countUsers(s.db())).toBe(before + 1);
    });
  });

  describe('users: roles and disabling', () => {
    const s = freshStore(dialect);

    beforeEach(async () => {
      await s.db().deleteFrom('users').execute();
    });

    const NOW = at('2026-04-04T04:04:04.404Z');
    const roleOf = async (id: string) => (await findUserById(s.db(), id))?.roles.join(',');
    const disabledAtOf = async (id: string) => (await findUserById(s.db(), id))?.disabledAt;

    it('promotes a USER to ADMIN', async () => {
      await aUser(s.db(), { role: 'ADMIN' });
      const user = await aUser(s.db());
      const change = await updateUserRole(s.db(), user.id, 'ADMIN', NOW);
      expect(change).toEqual({ status: 'changed', user: { ...user, roles: ['ADMIN'] }, before: ['USER'] });
      expect(await roleOf(user.id)).toBe('ADMIN');
    });

    it('refuses to demote the last active ADMIN', async () => {
      const admin = await aUser(s.db(), { role: 'ADMIN' });
      await aUser(s.db()); // a USER does not count
      expect(await updateUserRole(s.db(), admin.id, 'USER', NOW)).toEqual({ status: 'last-admin' });
      expect(await roleOf(admin.id)).toBe('ADMIN');
    });

    it('demotes an ADMIN while another active ADMIN remains, then refuses the last one', async () => {
      const a = await aUser(s.db(), { role: 'ADMIN' });
      const b = await aUser(s.db(), { role: 'ADMIN' });
      expect(await updateUserRole(s.db(), a.id, 'USER', NOW)).toEqual({
        status: 'changed',
        user: { ...a, roles: ['USER'] },
        before: ['ADMIN'],
      });
      expect(await updateUserRole(s.db(), b.id, 'USER', NOW)).toEqual({ status: 'last-admin' });
      expect([await roleOf(a.id), await roleOf(b.id)]).toEqual(['USER', 'ADMIN']);
    });

    it('does not count a disabled ADMIN as active', async () => {
      const active = await aUser(s.db(), { role: 'ADMIN' });
      const dormant = await aUser(s.db(), { role: 'ADMIN' });
      const when = at('2026-05-05T05:05:05.505Z');
      expect(await setUserDisabled(s.db(), dormant.id, when)).toEqual({ status: 'changed', user: { ...dormant, disabledAt: when } });
      expect(await updateUserRole(s.db(), active.id, 'USER', NOW)).toEqual({ status: 'last-admin' });
      expect(await setUserDisabled(s.db(), active.id, when)).toEqual({ status: 'last-admin' });
      expect(await roleOf(active.id)).toBe('ADMIN');
      expect(await disabledAtOf(active.id)).toBeNull();
      // The dormant ADMIN may be demoted: an active one remains.
      expect(await updateUserRole(s.db(), dormant.id, 'USER', NOW)).toMatchObject({
        status: 'changed',
        user: { roles: ['USER'], disabledAt: when },
      });
    });

    it("answers 'not-found' for an unknown id", async () => {
      await aUser(s.db(), { role: 'ADMIN' });
      expect(await updateUserRole(s.db(), newId(), 'ADMIN', NOW)).toEqual({ status: 'not-found' });
      expect(await updateUserRole(s.db(), newId(), 'USER', NOW)).toEqual({ status: 'not-found' });
      expect(await setUserDisabled(s.db(), newId(), at('2026-01-01T00:00:00.000Z'))).toEqual({ status: 'not-found' });
      expect(await setUserDisabled(s.db(), newId(), null)).toEqual({ status: 'not-found' });
    });

    it('disables and re-enables a USER', async () => {
      await aUser(s.db(), { role: 'ADMIN' });
      const user = await aUser(s.db());
      const when = at('2026-06-07T08:09:10.111Z');
      expect(await setUserDisabled(s.db(), user.id, when)).toEqual({ status: 'changed', user: { ...user, disabledAt: when } });
      expect(await disabledAtOf(user.id)).toEqual(when);
      expect(await setUserDisabled(s.db(), user.id, null)).toEqual({ status: 'changed', user: { ...user, disabledAt: null } });
      expect(await disabledAtOf(user.id)).toBeNull();
    });

    it('refuses to disable the last active ADMIN, but disables one of two and re-enables it', async () => {
      const a = await aUser(s.db(), { role: 'ADMIN' });
      const b = await aUser(s.db(), { role: 'ADMIN' });
      const when = at('2026-07-01T00:00:00.000Z');
      expect(await setUserDisabled(s.db(), a.id, when)).toMatchObject({ status: 'changed', user: { id: a.id, disabledAt: when } });
      expect(await setUserDisabled(s.db(), b.id, when)).toEqual({ status: 'last-admin' });
      expect(await disabledAtOf(b.id)).toBeNull();
      expect(await setUserDisabled(s.db(), a.id, null)).toMatchObject({ status: 'changed', user: { id: a.id, disabledAt: null } });
      // With a active again, b may go.
      expect(await setUserDisabled(s.db(), b.id, when)).toMatchObject({ status: 'changed', user: { id: b.id, disabledAt: when } });
    });

    it('setUserRole replaces every granted role with exactly that one', async () => {
      await aUser(s.db(), { role: 'ADMIN' });
      const user = await aUser(s.db(), { roles: ['USER', 'MODERATOR', 'SUPPORT'] });
      expect(await updateUserRole(s.db(), user.id, 'SUPPORT', NOW)).toMatchObject({ status: 'changed', user: { roles: ['SUPPORT'] } });
      expect(await updateUserRole(s.db(), user.id, 'SUPPORT', NOW)).toMatchObject({ status: 'unchanged', user: { roles: ['SUPPORT'] } });
    });

    it('grants and revokes one role at a time; a user keeps at least one; the last ADMIN keeps ADMIN', async () => {
      const admin = await aUser(s.db(), { role: 'ADMIN' });
      const user = await aUser(s.db());
      expect(await grantUserRole(s.db(), user.id, 'MODERATOR', NOW)).toMatchObject({
        status: 'changed',
        user: { roles: ['MODERATOR', 'USER'] },
      });
      expect(await grantUserRole(s.db(), user.id, 'MODERATOR', NOW)).toMatchObject({ status: 'unchanged' });
      expect(await revokeUserRole(s.db(), user.id, 'USER')).toMatchObject({ status: 'changed', user: { roles: ['MODERATOR'] } });
      expect(await revokeUserRole(s.db(), user.id, 'USER')).toMatchObject({ status: 'unchanged', user: { roles: ['MODERATOR'] } });
      expect(await revokeUserRole(s.db(), user.id, 'MODERATOR')).toEqual({ status: 'last-role' });
      expect(await grantUserRole(s.db(), admin.id, 'USER', NOW)).toMatchObject({ status: 'changed', user: { roles: ['ADMIN', 'USER'] } });
      expect(await revokeUserRole(s.db(), admin.id, 'ADMIN')).toEqual({ status: 'last-admin' });
      expect(await roleOf(admin.id)).toBe('ADMIN,USER');
      expect(await grantUserRole(s.db(), newId(), 'USER', NOW)).toEqual({ status: 'not-found' });
      expect(await revokeUserRole(s.db(), newId(), 'USER')).toEqual({ status: 'not-found' });
    });

    it('refuses to disable a lone ADMIN even when USERs are active', async () => {
      const admin = await aUser(s.db(), { role: 'ADMIN' });
      await aUser(s.db());
      await aUser(s.db());
      expect(await setUserDisabled(s.db(), admin.id, at('2026-07-01T00:00:00.000Z'))).toEqual({ status: 'last-admin' });
      expect(await disabledAtOf(admin.id)).toBeNull();
    });
  });
});
