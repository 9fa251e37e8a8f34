import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { DatabaseConfig } from '../../src/config';
import { findApiKeyById, insertApiKey, listApiKeysOfUser, revokeApiKey, touchApiKey } from '../../src/store/api-keys';
import { type AuditEventRecord, countAuditEvents, insertAuditEvent, listAuditEvents } from '../../src/store/audit-events';
import { type Db, isUniqueViolation, migrateToLatest, openStore, type Store } from '../../src/store/database';
import { newId } from '../../src/store/ids';
import {
  clearAccountFailures,
  failuresForAccount,
  forgetLoginFailure,
  failuresForAddress,
  pruneLoginFailures,
  recordLoginFailure,
} from '../../src/store/login-failures';
import { countVisibleNotes, deleteNote, findNoteById, insertNote, listVisibleNotes, type NoteRecord } from '../../examples/notes/store';
import type { NotesDb, Visibility as StoredVisibility } from '../../examples/notes/store';
import { claimRefreshToken, findRefreshTokenByHash, insertRefreshToken, revokeRefreshFamily } from '../../src/store/refresh-tokens';
import type { StoredRole } from '../../src/store/schema';
import {
  countUsers,
  findLoginByEmail,
  findUserById,
  findUsersByIds,
  insertUser,
  listUsers,
  type Position,
  setUserDisabled,
  updateSessionEnds,
  updateUserRole,
  type UserRecord,
} from '../../src/store/users';
import { databasesUnderTest, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';

/**
 * Every repository function, run against each dialect: the same code must give the same answers
 * on SQLite (timestamps as ISO TEXT) and PostgreSQL (timestamptz).
 */

const at = (iso: string): Date => new Date(iso);
const plus = (date: Date, ms: number): Date => new Date(date.getTime() + ms);
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A fresh, migrated database for the enclosing describe block. */
function freshStore(dialect: 'sqlite' | 'postgres'): { db(): Db; store(): Store; config(): DatabaseConfig } {
  let database: ThrowawayDatabase | undefined;
  let store: Store | undefined;
  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    store = openStore(database.config);
    await migrateToLatest(store);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });
  const opened = (): Store => {
    if (store === undefined) throw new Error('store not open yet');
    return store;
  };
  return {
    db: () => opened().db,
    store: opened,
    config: () => {
      if (database === undefined) throw new Error('database not created yet');
      return database.config;
    },
  };
}

let emailCounter = 0;

async function aUser(
  db: Db,
  fields: { email?: string; role?: StoredRole; now?: Date; id?: string; name?: string | null } = {},
): Promise<UserRecord> {
  emailCounter += 1;
  return insertUser(db, {
    id: fields.id ?? newId(),
    email: fields.email ?? `user${emailCounter}@example.com`,
    name: fields.name === undefined ? `User ${emailCounter}` : fields.name,
    passwordHash: `hash-${emailCounter}`,
    role: fields.role ?? 'USER',
    now: fields.now ?? at('2026-01-01T00:00:00.000Z'),
  });
}

/** Walks a cursor-paged list to its end, page by page. */
async function walk<T extends { id: string; createdAt: Date }>(
  pageSize: number,
  page: (limit: number, after: Position | null) => Promise<T[]>,
): Promise<{ items: T[]; pageLengths: number[] }> {
  const items: T[] = [];
  const pageLengths: number[] = [];
  let after: Position | null = null;
  for (let guard = 0; guard < 100; guard += 1) {
    const rows = await page(pageSize, after);
    pageLengths.push(rows.length);
    items.push(...rows);
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < pageSize) break;
    after = { createdAt: last.createdAt, id: last.id };
  }
  return { items, pageLengths };
}

const byCreatedThenId = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }): number =>
  a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe.each(databasesUnderTest())('store repositories on %s', (dialect) => {
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
        role: 'USER',
        now: created,
      });
      const expected: UserRecord = {
        id,
        email: 'Ada@Example.com',
        name: 'Ada',
        role: 'USER',
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
        role: 'ADMIN',
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
        role: 'USER',
        now: at('2026-02-01T00:00:00.000Z'),
      });
      const outcome = await insertUser(s.db(), {
        id: newId(),
        email: 'dUP@example.COM',
        name: null,
        passwordHash: 'h2',
        role: 'USER',
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

    const roleOf = async (id: string) => (await findUserById(s.db(), id))?.role;
    const disabledAtOf = async (id: string) => (await findUserById(s.db(), id))?.disabledAt;

    it('promotes a USER to ADMIN', async () => {
      await aUser(s.db(), { role: 'ADMIN' });
      const user = await aUser(s.db());
      const change = await updateUserRole(s.db(), user.id, 'ADMIN');
      expect(change).toEqual({ status: 'changed', user: { ...user, role: 'ADMIN' } });
      expect(await roleOf(user.id)).toBe('ADMIN');
    });

    it('refuses to demote the last active ADMIN', async () => {
      const admin = await aUser(s.db(), { role: 'ADMIN' });
      await aUser(s.db()); // a USER does not count
      expect(await updateUserRole(s.db(), admin.id, 'USER')).toEqual({ status: 'last-admin' });
      expect(await roleOf(admin.id)).toBe('ADMIN');
    });

    it('demotes an ADMIN while another active ADMIN remains, then refuses the last one', async () => {
      const a = await aUser(s.db(), { role: 'ADMIN' });
      const b = await aUser(s.db(), { role: 'ADMIN' });
      expect(await updateUserRole(s.db(), a.id, 'USER')).toEqual({ status: 'changed', user: { ...a, role: 'USER' } });
      expect(await updateUserRole(s.db(), b.id, 'USER')).toEqual({ status: 'last-admin' });
      expect([await roleOf(a.id), await roleOf(b.id)]).toEqual(['USER', 'ADMIN']);
    });

    it('does not count a disabled ADMIN as active', async () => {
      const active = await aUser(s.db(), { role: 'ADMIN' });
      const dormant = await aUser(s.db(), { role: 'ADMIN' });
      const when = at('2026-05-05T05:05:05.505Z');
      expect(await setUserDisabled(s.db(), dormant.id, when)).toEqual({ status: 'changed', user: { ...dormant, disabledAt: when } });
      expect(await updateUserRole(s.db(), active.id, 'USER')).toEqual({ status: 'last-admin' });
      expect(await setUserDisabled(s.db(), active.id, when)).toEqual({ status: 'last-admin' });
      expect(await roleOf(active.id)).toBe('ADMIN');
      expect(await disabledAtOf(active.id)).toBeNull();
      // The dormant ADMIN may be demoted: an active one remains.
      expect(await updateUserRole(s.db(), dormant.id, 'USER')).toMatchObject({
        status: 'changed',
        user: { role: 'USER', disabledAt: when },
      });
    });

    it("answers 'not-found' for an unknown id", async () => {
      await aUser(s.db(), { role: 'ADMIN' });
      expect(await updateUserRole(s.db(), newId(), 'ADMIN')).toEqual({ status: 'not-found' });
      expect(await updateUserRole(s.db(), newId(), 'USER')).toEqual({ status: 'not-found' });
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

    it('refuses to disable a lone ADMIN even when USERs are active', async () => {
      const admin = await aUser(s.db(), { role: 'ADMIN' });
      await aUser(s.db());
      await aUser(s.db());
      expect(await setUserDisabled(s.db(), admin.id, at('2026-07-01T00:00:00.000Z'))).toEqual({ status: 'last-admin' });
      expect(await disabledAtOf(admin.id)).toBeNull();
    });
  });

  describe('api keys', () => {
    const s = freshStore(dialect);
    let owner: UserRecord;
    let other: UserRecord;

    beforeAll(async () => {
      owner = await aUser(s.db(), { email: 'key-owner@example.com', role: 'ADMIN', now: at('2026-01-02T03:04:05.006Z') });
      other = await aUser(s.db(), { email: 'key-other@example.com' });
    });

    const aKey = (userId: string, name: string, now: Date, expiresAt: Date | null = null) => {
      const secret = `gh_${name}_${newId()}`;
      return insertApiKey(s.db(), {
        id: newId(),
        userId,
        name,
        prefix: secret.slice(0, 8),
        secretHash: sha256(secret),
        now,
        expiresAt,
      }).then((key) => ({
        key,
        secretHash: sha256(secret),
      }));
    };

    it('inserts a key and finds it by id', async () => {
      const id = newId();
      const created = at('2026-08-01T12:00:00.123Z');
      const expires = at('2027-08-01T12:00:00.456Z');
      const key = await insertApiKey(s.db(), {
        id,
        userId: owner.id,
        name: 'ci',
        prefix: 'gh_abcd',
        secretHash: sha256('one'),
        now: created,
        expiresAt: expires,
      });
      const expected = {
        id,
        userId: owner.id,
        name: 'ci',
        prefix: 'gh_abcd',
        createdAt: created,
        expiresAt: expires,
        lastUsedAt: null,
        revokedAt: null,
        scopes: null,
      };
      expect(key).toEqual(expected);
      expect(await findApiKeyById(s.db(), id)).toEqual(expected);
      expect(await findApiKeyById(s.db(), newId())).toBeUndefined();
    });

    it("keeps a key's scopes as given: a list, an empty list (no scope at all) or null (every scope)", async () => {
      const stored = async (scopes: readonly string[] | null) => {
        const key = await insertApiKey(s.db(), {
          id: newId(),
          userId: owner.id,
          name: 'scoped',
          prefix: 'p',
          secretHash: sha256(`scoped ${JSON.stringify(scopes)}`),
          now: at('2026-08-01T12:00:00.000Z'),
          expiresAt: null,
          scopes,
        });
        return (await findApiKeyById(s.db(), key.id))?.scopes;
      };
      expect(await stored(['notes:read', 'notes:write'])).toEqual(['notes:read', 'notes:write']);
      expect(await stored([])).toEqual([]);
      expect(await stored(null)).toBeNull();
    });

    it('refuses a second key with the same secret hash', async () => {
      await insertApiKey(s.db(), {
        id: newId(),
        userId: owner.id,
        name: 'a',
        prefix: 'p',
        secretHash: sha256('same'),
        now: at('2026-01-01T00:00:00.000Z'),
        expiresAt: null,
      });
      const error = await insertApiKey(s.db(), {
        id: newId(),
        userId: other.id,
        name: 'b',
        prefix: 'p',
        secretHash: sha256('same'),
        now: at('2026-01-01T00:00:00.000Z'),
        expiresAt: null,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isUniqueViolation(error)).toBe(true);
    });

    it('finds a key by secret hash with its owner, whose disabledAt follows the user (the credential lookup)', async () => {
      const findApiKeyBySecretHash = (_db: unknown, hash: string) => s.store().lookups.apiKeyBySecretHash(hash);
      const { key, secretHash } = await aKey(other.id, 'lookup', at('2026-08-02T00:00:00.000Z'));
      expect(await findApiKeyBySecretHash(s.db(), secretHash)).toEqual({ key, owner: other });
      const when = at('2026-08-03T01:02:03.004Z');
      expect(await setUserDisabled(s.db(), other.id, when)).toMatchObject({ status: 'changed' });
      const found = await findApiKeyBySecretHash(s.db(), secretHash);
      expect(found?.owner).toEqual({ ...other, disabledAt: when });
      expect(found?.owner.disabledAt).toBeInstanceOf(Date);
      expect(found?.key).toEqual(key);
      expect(await setUserDisabled(s.db(), other.id, null)).toMatchObject({ status: 'changed' });
      expect((await findApiKeyBySecretHash(s.db(), secretHash))?.owner.disabledAt).toBeNull();
      expect(await findApiKeyBySecretHash(s.db(), sha256('no such key'))).toBeUndefined();
    });

    it("lists a user's keys newest first, revoked ones included, nobody else's", async () => {
      const lister = await aUser(s.db());
      const k1 = (await aKey(lister.id, 'first', at('2026-09-01T00:00:00.000Z'))).key;
      const k3 = (await aKey(lister.id, 'third', at('2026-09-03T00:00:00.000Z'))).key;
      const k2 = (await aKey(lister.id, 'second', at('2026-09-02T00:00:00.000Z'))).key;
      await aKey(other.id, 'not-mine', at('2026-09-04T00:00:00.000Z'));
      const revoked = await revokeApiKey(s.db(), k2.id, at('2026-09-05T00:00:00.000Z'));
      expect(await listApiKeysOfUser(s.db(), lister.id)).toEqual([k3, revoked, k1]);
      expect((await listApiKeysOfUser(s.db(), lister.id)).map((k) => k.name)).toEqual(['third', 'second', 'first']);
      expect(await listApiKeysOfUser(s.db(), (await aUser(s.db())).id)).toEqual([]);
    });

    it('keeps the first revocation time when revoked twice', async () => {
      const { key } = await aKey(owner.id, 'revoke-me', at('2026-10-01T00:00:00.000Z'));
      const first = at('2026-10-02T10:20:30.405Z');
      expect(await revokeApiKey(s.db(), key.id, first)).toEqual({ ...key, revokedAt: first });
      expect(await revokeApiKey(s.db(), key.id, at('2026-10-03T00:00:00.000Z'))).toEqual({ ...key, revokedAt: first });
      expect((await findApiKeyById(s.db(), key.id))?.revokedAt).toEqual(first);
      expect(await revokeApiKey(s.db(), newId(), first)).toBeUndefined();
    });

    it('touches lastUsedAt at most once per granularity', async () => {
      const { key } = await aKey(owner.id, 'busy', at('2026-11-01T00:00:00.000Z'));
      const { key: bystander } = await aKey(owner.id, 'idle', at('2026-11-01T00:00:00.000Z'));
      const minute = 60_000;
      const t0 = at('2026-11-02T12:00:00.250Z');
      const lastUsed = async () => (await findApiKeyById(s.db(), key.id))?.lastUsedAt;

      await touchApiKey(s.db(), key.id, t0, minute);
      expect(await lastUsed()).toEqual(t0);
      await touchApiKey(s.db(), key.id, plus(t0, 1), minute);
      expect(await lastUsed()).toEqual(t0);
      await touchApiKey(s.db(), key.id, plus(t0, 59_999), minute);
      expect(await lastUsed()).toEqual(t0);
      await touchApiKey(s.db(), key.id, plus(t0, minute), minute); // exactly one granularity: not older yet
      expect(await lastUsed()).toEqual(t0);
      await touchApiKey(s.db(), key.id, plus(t0, minute + 1), minute);
      expect(await lastUsed()).toEqual(plus(t0, minute + 1));
      await touchApiKey(s.db(), key.id, plus(t0, minute + 2), minute);
      expect(await lastUsed()).toEqual(plus(t0, minute + 1));
      // An hour later, across a day boundary in the stored text, it writes again.
      const later = at('2026-11-03T00:00:00.000Z');
      await touchApiKey(s.db(), key.id, later, minute);
      expect(await lastUsed()).toEqual(later);

      expect((await findApiKeyById(s.db(), bystander.id))?.lastUsedAt).toBeNull();
    });
  });

  describe('refresh tokens', () => {
    const s = freshStore(dialect);
    let user: UserRecord;

    beforeAll(async () => {
      user = await aUser(s.db(), { email: 'refresh@example.com' });
    });

    const aToken = async (familyId: string, now: Date = at('2026-03-03T03:03:03.333Z')) => {
      const id = newId();
      const tokenHash = sha256(`token-${id}`);
      await insertRefreshToken(s.db(), {
        id,
        userId: user.id,
        familyId,
        tokenHash,
        now,
        expiresAt: plus(now, 14 * 86_400_000),
        familyExpiresAt: plus(now, 30 * 86_400_000),
      });
      return { id, tokenHash };
    };

    it('inserts a token and finds it by hash, dates exactly as written', async () => {
      const id = newId();
      const familyId = newId();
      const now = at('2026-12-31T23:59:59.999Z');
      const expiresAt = at('2027-01-14T23:59:59.001Z');
      const familyExpiresAt = at('2027-01-30T23:59:59.998Z');
      await insertRefreshToken(s.db(), { id, userId: user.id, familyId, tokenHash: sha256('exact'), now, expiresAt, familyExpiresAt });
      const found = await findRefreshTokenByHash(s.db(), sha256('exact'));
      expect(found).toEqual({ id, userId: user.id, familyId, createdAt: now, expiresAt, familyExpiresAt, usedAt: null, revokedAt: null });
      expect(found?.familyExpiresAt).toBeInstanceOf(Date);
      expect(found?.familyExpiresAt?.toISOString()).toBe('2027-01-30T23:59:59.998Z');
      expect(await findRefreshTokenByHash(s.db(), sha256('unknown'))).toBeUndefined();
    });

    it('lets exactly one of 10 concurrent claims of one token win', async () => {
      const { id, tokenHash } = await aToken(newId());
      const when = at('2026-03-04T00:00:00.007Z');
      const results = await Promise.all(Array.from({ length: 10 }, () => claimRefreshToken(s.db(), id, when)));
      expect(results.filter((r) => r)).toHaveLength(1);
      expect(results.filter((r) => !r)).toHaveLength(9);
      expect((await findRefreshTokenByHash(s.db(), tokenHash))?.usedAt).toEqual(when);
      expect(await claimRefreshToken(s.db(), id, plus(when, 1000))).toBe(false);
      expect((await findRefreshTokenByHash(s.db(), tokenHash))?.usedAt).toEqual(when);
    });

    it('lets each of several different tokens be claimed once, concurrently', async () => {
      const family = newId();
      const tokens = await Promise.all(Array.from({ length: 5 }, () => aToken(family)));
      const results = await Promise.all(
        tokens.flatMap(({ id }) => [
          claimRefreshToken(s.db(), id, at('2026-03-05T00:00:00.000Z')),
          claimRefreshToken(s.db(), id, at('2026-03-05T00:00:00.000Z')),
        ]),
      );
      expect(results.filter((r) => r)).toHaveLength(5);
    });

    it('does not let a revoked token be claimed, nor an unknown one', async () => {
      const family = newId();
      const { id, tokenHash } = await aToken(family);
      const when = at('2026-03-06T06:06:06.606Z');
      await revokeRefreshFamily(s.db(), family, when);
      expect(await claimRefreshToken(s.db(), id, plus(when, 1))).toBe(false);
      const found = await findRefreshTokenByHash(s.db(), tokenHash);
      expect(found?.usedAt).toBeNull();
      expect(found?.revokedAt).toEqual(when);
      expect(await claimRefreshToken(s.db(), newId(), when)).toBe(false);
    });

    it('revokes every token of one family and no other, keeping earlier revocation times', async () => {
      const familyA = newId();
      const familyB = newId();
      const a1 = await aToken(familyA);
      const a2 = await aToken(familyA);
      const a3 = await aToken(familyA);
      const b1 = await aToken(familyB);
      const b2 = await aToken(familyB);
      const earlier = at('2026-03-07T00:00:00.000Z');
      const now = at('2026-03-08T00:00:00.000Z');
      // a3 was already revoked (directly, as another path might do): the family revocation keeps its time.
      await s.db().updateTable('refresh_tokens').set({ revoked_at: earlier.toISOString() }).where('id', '=', a3.id).execute();
      expect(await claimRefreshToken(s.db(), a1.id, earlier)).toBe(true);

      await revokeRefreshFamily(s.db(), familyA, now);

      const revokedAt = async (t: { tokenHash: string }) => (await findRefreshTokenByHash(s.db(), t.tokenHash))?.revokedAt;
      expect(await revokedAt(a1)).toEqual(now);
      expect(await revokedAt(a2)).toEqual(now);
      expect(await revokedAt(a3)).toEqual(earlier);
      expect(await revokedAt(b1)).toBeNull();
      expect(await revokedAt(b2)).toBeNull();
      expect((await findRefreshTokenByHash(s.db(), a1.tokenHash))?.usedAt).toEqual(earlier);
      expect(await claimRefreshToken(s.db(), a2.id, now)).toBe(false);
      expect(await claimRefreshToken(s.db(), b1.id, now)).toBe(true);
    });
  });

  describe('notes', () => {
    const s = freshStore(dialect);
    const notesDb = () => s.db() as unknown as NotesDb;
    let alice: UserRecord;
    let bob: UserRecord;
    let carol: UserRecord;
    const notes: NoteRecord[] = [];

    const aNote = (author: UserRecord, visibility: StoredVisibility, iso: string, title: string) =>
      insertNote(notesDb(), { id: newId(), authorId: author.id, title, body: `body of ${title}`, visibility, now: at(iso) });

    beforeAll(async () => {
      alice = await aUser(s.db(), { email: 'alice@example.com' });
      bob = await aUser(s.db(), { email: 'bob@example.com' });
      carol = await aUser(s.db(), { email: 'carol@example.com' }); // writes nothing
      const plan: Array<[UserRecord, StoredVisibility, string]> = [
        [alice, 'PUBLIC', '2026-04-01T00:00:00.000Z'],
        [alice, 'PRIVATE', '2026-04-01T00:00:00.000Z'],
        [bob, 'PRIVATE', '2026-04-01T00:00:00.000Z'],
        [bob, 'PUBLIC', '2026-04-01T00:00:00.000Z'],
        [alice, 'PRIVATE', '2026-04-02T00:00:00.000Z'],
        [bob, 'PUBLIC', '2026-04-03T00:00:00.000Z'],
        [bob, 'PRIVATE', '2026-04-04T00:00:00.000Z'],
        [alice, 'PUBLIC', '2026-04-05T00:00:00.000Z'],
        [bob, 'PUBLIC', '2026-04-05T00:00:00.000Z'],
        [alice, 'PRIVATE', '2026-04-06T00:00:00.000Z'],
      ];
      for (const [i, [author, visibility, iso]] of plan.entries()) notes.push(await aNote(author, visibility, iso, `note ${i}`));
    });

    it('inserts a note and finds it by id', async () => {
      const id = newId();
      const created = at('2026-04-07T07:07:07.707Z');
      const note = await insertNote(notesDb(), {
        id,
        authorId: carol.id,
        title: 'Ünïcode ✓',
        body: 'line 1\nline 2',
        visibility: 'PRIVATE',
        now: created,
      });
      const expected: NoteRecord = {
        id,
        authorId: carol.id,
        title: 'Ünïcode ✓',
        body: 'line 1\nline 2',
        visibility: 'PRIVATE',
        createdAt: created,
      };
      expect(note).toEqual(expected);
      expect(await findNoteById(notesDb(), id)).toEqual(expected);
      expect(await findNoteById(notesDb(), newId())).toBeUndefined();
      expect(await deleteNote(notesDb(), id)).toBe(true); // leave the fixture as it was
    });

    it('shows anonymous readers only PUBLIC notes, oldest first, paged', async () => {
      const expected = notes.filter((n) => n.visibility === 'PUBLIC').sort(byCreatedThenId);
      expect(expected).toHaveLength(5);
      expect(await listVisibleNotes(notesDb(), null, 100, null)).toEqual(expected);
      expect(await countVisibleNotes(notesDb(), null)).toBe(expected.length);
      for (const pageSize of [1, 2, 3]) {
        const { items } = await walk(pageSize, (limit, after) => listVisibleNotes(notesDb(), null, limit, after));
        expect(items.map((n) => n.id)).toEqual(expected.map((n) => n.id));
      }
    });

    it.each([
      ['alice', () => alice, 8],
      ['bob', () => bob, 7],
      ['carol', () => carol, 5],
    ] as const)('shows %s PUBLIC notes and her or his own PRIVATE ones, never anyone else’s', async (_name, reader, count) => {
      const me = reader();
      const expected = notes.filter((n) => n.visibility === 'PUBLIC' || n.authorId === me.id).sort(byCreatedThenId);
      expect(expected).toHaveLength(count);
      const listed = await listVisibleNotes(notesDb(), me.id, 100, null);
      expect(listed).toEqual(expected);
      expect(listed.filter((n) => n.visibility === 'PRIVATE' && n.authorId !== me.id)).toEqual([]);
      expect(await countVisibleNotes(notesDb(), me.id)).toBe(count);
      for (const pageSize of [1, 2, 3]) {
        const { items } = await walk(pageSize, (limit, after) => listVisibleNotes(notesDb(), me.id, limit, after));
        expect(items.map((n) => n.id)).toEqual(expected.map((n) => n.id));
      }
    });

    it('deletes a note once: true, then false', async () => {
      const note = await aNote(bob, 'PUBLIC', '2026-04-08T00:00:00.000Z', 'doomed');
      const publicBefore = await countVisibleNotes(notesDb(), null);
      expect(await deleteNote(notesDb(), note.id)).toBe(true);
      expect(await deleteNote(notesDb(), note.id)).toBe(false);
      expect(await findNoteById(notesDb(), note.id)).toBeUndefined();
      expect(await countVisibleNotes(notesDb(), null)).toBe(publicBefore - 1);
      expect(await deleteNote(notesDb(), newId())).toBe(false);
    });
  });

  describe('login failures', () => {
    const s = freshStore(dialect);
    const t = (minute: number, ms = 0): Date => plus(at('2026-05-01T12:00:00.000Z'), minute * 60_000 + ms);

    it('counts an account’s failures inside the window only, and reports the oldest of them', async () => {
      for (const [minute, address] of [
        [0, '10.0.0.1'],
        [5, '10.0.0.2'],
        [10, '10.0.0.1'],
        [20, '10.0.0.3'],
      ] as const) {
        await recordLoginFailure(s.db(), { accountKey: 'win@example.com', address, now: t(minute) });
      }
      await recordLoginFailure(s.db(), { accountKey: 'someone-else@example.com', address: '10.0.0.1', now: t(7) });

      expect(await failuresForAccount(s.db(), 'win@example.com', t(-1))).toEqual({ count: 4, oldest: t(0), newest: t(20) });
      expect(await failuresForAccount(s.db(), 'win@example.com', t(0, 1))).toEqual({ count: 3, oldest: t(5), newest: t(20) });
      expect(await failuresForAccount(s.db(), 'win@example.com', t(5))).toEqual({ count: 3, oldest: t(5), newest: t(20) }); // `since` is inclusive
      expect(await failuresForAccount(s.db(), 'win@example.com', t(15))).toEqual({ count: 1, oldest: t(20), newest: t(20) });
      expect(await failuresForAccount(s.db(), 'win@example.com', t(21))).toEqual({ count: 0, oldest: null, newest: null });
      expect(await failuresForAccount(s.db(), 'nobody@example.com', t(-100))).toEqual({ count: 0, oldest: null, newest: null });
    });

    it('counts an address’s failures across accounts inside the window only', async () => {
      const address = '192.0.2.44';
      await recordLoginFailure(s.db(), { accountKey: 'x@example.com', address, now: t(100) });
      await recordLoginFailure(s.db(), { accountKey: 'y@example.com', address, now: t(101, 500) });
      await recordLoginFailure(s.db(), { accountKey: 'z@example.com', address, now: t(102) });
      await recordLoginFailure(s.db(), { accountKey: 'x@example.com', address: '192.0.2.45', now: t(101) });

      const window = await failuresForAddress(s.db(), address, t(99));
      expect(window).toEqual({ count: 3, oldest: t(100), newest: t(102) });
      expect(window.oldest).toBeInstanceOf(Date);
      expect(await failuresForAddress(s.db(), address, t(101))).toEqual({ count: 2, oldest: t(101, 500), newest: t(102) });
      expect(await failuresForAddress(s.db(), '192.0.2.99', t(0))).toEqual({ count: 0, oldest: null, newest: null });
    });

    it('clears the failures of one account only; the address keeps the others', async () => {
      const address = '198.51.100.7';
      await recordLoginFailure(s.db(), { accountKey: 'forgiven@example.com', address, now: t(200) });
      await recordLoginFailure(s.db(), { accountKey: 'forgiven@example.com', address, now: t(201) });
      await recordLoginFailure(s.db(), { accountKey: 'kept@example.com', address, now: t(202) });
      await recordLoginFailure(s.db(), { accountKey: 'kept@example.com', address: '198.51.100.8', now: t(203) });

      await clearAccountFailures(s.db(), 'forgiven@example.com');

      // An attempt can leave its own row out of the count.
      const own = await recordLoginFailure(s.db(), { accountKey: 'kept@example.com', address: '198.51.100.9', now: t(204) });
      expect(await failuresForAccount(s.db(), 'kept@example.com', t(0), own)).toMatchObject({ count: 2, newest: t(203) });
      await forgetLoginFailure(s.db(), own);

      expect(await failuresForAccount(s.db(), 'forgiven@example.com', t(0))).toEqual({ count: 0, oldest: null, newest: null });
      expect(await failuresForAccount(s.db(), 'kept@example.com', t(0))).toEqual({ count: 2, oldest: t(202), newest: t(203) });
      expect(await failuresForAddress(s.db(), address, t(0))).toEqual({ count: 1, oldest: t(202), newest: t(202) });
    });

    it('prunes failures older than a moment and keeps the rest', async () => {
      await s.db().deleteFrom('login_failures').execute();
      for (const minute of [300, 310, 320, 330]) {
        await recordLoginFailure(s.db(), { accountKey: 'prune@example.com', address: '203.0.113.1', now: t(minute) });
      }
      await pruneLoginFailures(s.db(), t(320));
      expect(await failuresForAccount(s.db(), 'prune@example.com', t(0))).toEqual({ count: 2, oldest: t(320), newest: t(330) });
      const left = await s.db().selectFrom('login_failures').select('account_key').execute();
      expect(left).toHaveLength(2);
      await pruneLoginFailures(s.db(), t(330, 1));
      expect(await failuresForAccount(s.db(), 'prune@example.com', t(0))).toEqual({ count: 0, oldest: null, newest: null });
    });
  });

  describe('audit events', () => {
    const s = freshStore(dialect);
    const events: AuditEventRecord[] = [];

    beforeAll(async () => {
      const actor = newId();
      const subject = newId();
      const plan: Array<Omit<AuditEventRecord, 'id'>> = [
        {
          createdAt: at('2026-06-01T00:00:00.000Z'),
          action: 'user.signed_up',
          actorId: null,
          subjectId: subject,
          address: '10.1.1.1',
          source: 'request',
          detail: null,
        },
        {
          createdAt: at('2026-06-01T00:00:00.001Z'),
          action: 'login.failed',
          actorId: null,
          subjectId: null,
          address: '10.1.1.2',
          source: 'request',
          detail: { email: 'Ünï@example.com', attempts: 3, locked: false, reason: null },
        },
        {
          createdAt: at('2026-06-01T00:00:00.001Z'),
          action: 'login.succeeded',
          actorId: subject,
          subjectId: subject,
          address: null,
          source: 'request',
          detail: {},
        },
        {
          createdAt: at('2026-06-01T00:00:00.001Z'),
          action: 'user.role_changed',
          actorId: actor,
          subjectId: subject,
          address: '::1',
          source: 'cli',
          detail: { from: 'USER', to: 'ADMIN', quote: 'say "hi"\n\\', ratio: 0.5 },
        },
        {
          createdAt: at('2026-06-02T00:00:00.000Z'),
          action: 'api_key.created',
          actorId: subject,
          subjectId: subject,
          address: null,
          source: 'request',
          detail: { prefix: 'gh_1234' },
        },
        {
          createdAt: at('2026-06-02T00:00:00.000Z'),
          action: 'api_key.revoked',
          actorId: actor,
          subjectId: subject,
          address: null,
          source: 'request',
          detail: { prefix: 'gh_1234' },
        },
        {
          createdAt: at('2026-06-03T10:00:00.000Z'),
          action: 'session.logged_out',
          actorId: subject,
          subjectId: null,
          address: '10.1.1.3',
          source: 'request',
          detail: null,
        },
      ];
      const ids = plan.map(() => newId());
      // Insert in an order unlike either time or id order.
      for (const i of [4, 0, 6, 3, 1, 5, 2]) {
        const event: AuditEventRecord = { id: ids[i] as string, ...(plan[i] as Omit<AuditEventRecord, 'id'>) };
        await insertAuditEvent(s.db(), event);
        events.push(event);
      }
    });

    const newestFirst = (a: AuditEventRecord, b: AuditEventRecord): number => -byCreatedThenId(a, b);

    it('lists events newest first (ties by id, descending), every field and detail round-tripped', async () => {
      const expected = [...events].sort(newestFirst);
      expect(await listAuditEvents(s.db(), 100, null)).toEqual(expected);
      expect((await listAuditEvents(s.db(), 2, null)).map((e) => e.action)).toEqual(['session.logged_out', expected[1]?.action]);
      const roleChange = (await listAuditEvents(s.db(), 100, null)).find((e) => e.action === 'user.role_changed');
      expect(roleChange?.detail).toEqual({ from: 'USER', to: 'ADMIN', quote: 'say "hi"\n\\', ratio: 0.5 });
    });

    it('pages with a Position (createdAt = occurredAt) without duplicates or gaps', async () => {
      const expected = [...events].sort(newestFirst).map((e) => e.id);
      for (const pageSize of [1, 2, 3, 5]) {
        const { items } = await walk(pageSize, (limit, before) => listAuditEvents(s.db(), limit, before));
        expect(items.map((e) => e.id)).toEqual(expected);
      }
      const oldest = [...events].sort(newestFirst).at(-1) as AuditEventRecord;
      expect(await listAuditEvents(s.db(), 10, { createdAt: oldest.createdAt, id: oldest.id })).toEqual([]);
    });

    it('counts events', async () => {
      expect(await countAuditEvents(s.db())).toBe(events.length);
    });
  });

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
