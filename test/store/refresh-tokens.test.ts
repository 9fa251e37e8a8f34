import { newId } from '../../src/store/ids';
import { claimRefreshToken, findRefreshTokenByHash, insertRefreshToken, revokeRefreshFamily } from '../../src/store/refresh-tokens';
import type { UserRecord } from '../../src/store/users';
import { databasesUnderTest } from '../helpers/databases';
import { aUser, at, freshStore, plus, sha256 } from '../helpers/store';

/*
 * src/store/refresh-tokens.ts, run against each dialect: the same code must give the same answers on SQLite
 * (timestamps as ISO TEXT) and PostgreSQL (timestamptz).
 */
describe.each(databasesUnderTest())('refresh tokens on %s', (dialect) => {
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
});
