import { openStore } from '../../src/store/database';
import { isUnreachable } from '../../src/store/failures';

describe('isUnreachable', () => {
  it('is true for what a real driver raises when the database is not there', async () => {
    // A port nothing listens on: pg's own connection error, as a request would get it.
    const nowhere = openStore({ dialect: 'postgres', url: 'postgres://postgres@127.0.0.1:9/nowhere' }, { credentialCacheSize: 0 });
    try {
      const error = await nowhere.ping().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeDefined();
      expect(isUnreachable(error)).toBe(true);
    } finally {
      await nowhere.close();
    }
  });

  it.each([
    ['PostgreSQL shutting down', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a connection exception', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['a lost connection', new Error('Connection terminated unexpectedly')],
    ['SQLite locked beyond its busy timeout', Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })],
  ])('is true for %s', (_name, error) => {
    expect(isUnreachable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', Object.assign(new Error('duplicate key'), { code: '23505' })],
    ['a syntax error', Object.assign(new Error('syntax error'), { code: '42601' })],
    ['a bug', new TypeError('x is undefined')],
    ['a constraint in SQLite', Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' })],
  ])('is false for %s', (_name, error) => {
    expect(isUnreachable(error)).toBe(false);
  });
});
