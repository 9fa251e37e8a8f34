import { findApiKeyById, insertApiKey, listApiKeysOfUser, revokeApiKey, touchApiKey } from '../../src/store/api-keys';
import { isUniqueViolation } from '../../src/store/failures';
import { newId } from '../../src/store/ids';
import { setUserDisabled, type UserRecord } from '../../src/store/users';
import { databasesUnderTest } from '../helpers/databases';
import { aUser, at, freshStore, plus, sha256 } from '../helpers/store';

/*
 * src/store/api-keys.ts, run against each dialect: the same code must give the same answers on SQLite
 * (timestamps as ISO TEXT) and PostgreSQL (timestamptz).
 */
describe.each(databasesUnderTest())('api keys on %s', (dialect) => {
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
        previousSecretExpiresAt: null,
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
      expect(await findApiKeyBySecretHash(s.db(), secretHash)).toEqual({ key, owner: { ...other, organizations: {} }, matched: 'current' });
      const when = at('2026-08-03T01:02:03.004Z');
      expect(await setUserDisabled(s.db(), other.id, when)).toMatchObject({ status: 'changed' });
      const found = await findApiKeyBySecretHash(s.db(), secretHash);
      expect(found?.owner).toEqual({ ...other, disabledAt: when, organizations: {} });
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
});
