import {
  clearAccountFailures,
  failuresForAccount,
  forgetLoginFailure,
  failuresForAddress,
  pruneLoginFailures,
  recordLoginFailure,
} from '../../src/store/login-failures';
import { databasesUnderTest } from '../helpers/databases';
import { at, freshStore, plus } from '../helpers/store';

/*
 * src/store/login-failures.ts, run against each dialect: the same code must give the same answers on SQLite
 * (timestamps as ISO TEXT) and PostgreSQL (timestamptz).
 */
describe.each(databasesUnderTest())('login failures on %s', (dialect) => {
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
});
