import { decodeProtectedHeader } from 'jose';
import jwt from 'jsonwebtoken';
import { expectRefused, signUp } from '../helpers/accounts';
import { type ThrowawayDatabase, sqliteFile, databaseUrlOf } from '../helpers/databases';
import { type HttpHarness, randomSecret, startHttpServer } from '../helpers/http';

/*
 * The upgrade paths of an install's signing secret, each a restart on the same database: HS256 to
 * ES256 keeps the existing sessions while JWT_SECRET stays set, and JWT_SECRET_PREVIOUS keeps
 * verifying a replaced HS256 secret's tokens (and only while it is set).
 */
describe('moving an install to another signing secret or algorithm', () => {
  let database: ThrowawayDatabase;
  let h: HttpHarness | undefined;
  const secret = randomSecret();
  const me = (token: string) => (h as HttpHarness).gql('{ me { id } }', { headers: { authorization: `Bearer ${token}` } });
  const start = async (env: Record<string, string>) => {
    await h?.close();
    h = await startHttpServer({ env: { DATABASE_URL: databaseUrlOf(database.config), ...env } });
    return h;
  };

  beforeEach(() => {
    database = sqliteFile();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
    await database.drop();
  });

  it('HS256 to ES256: sessions signed with JWT_SECRET (with and without a kid) keep working; new tokens are ES256', async () => {
    const before = await signUp(await start({ JWT_SECRET: secret }));
    expect(decodeProtectedHeader(before.accessToken)).toMatchObject({ alg: 'HS256', kid: expect.stringMatching(/^hs256-/) });
    // A token from before tokens carried a kid.
    const legacy = jwt.sign({ sub: before.id, jti: 'legacy' }, secret, {
      algorithm: 'HS256',
      issuer: 'gatehouse',
      audience: 'gatehouse-api',
      expiresIn: 600,
      header: { alg: 'HS256', typ: 'at+jwt' },
    });

    await start({ JWT_ALGORITHM: 'ES256', SIGNING_KEYS_SECRET: randomSecret(), JWT_SECRET: secret });
    expect((await me(before.accessToken)).body.data?.['me'].id).toBe(before.id);
    expect((await me(legacy)).body.data?.['me'].id).toBe(before.id);
    const after = await signUp(h as HttpHarness);
    expect(decodeProtectedHeader(after.accessToken)).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    expect((await me(after.accessToken)).body.data?.['me'].id).toBe(after.id);

    // Once JWT_SECRET is removed, the HS256 tokens are refused (the end of the upgrade).
    const signingKeysSecret = (h as HttpHarness).app.config.jwt.signingKeysSecret as string;
    await start({ JWT_ALGORITHM: 'ES256', SIGNING_KEYS_SECRET: signingKeysSecret });
    expectRefused(await me(before.accessToken), before.accessToken);
    expect((await me(after.accessToken)).body.data?.['me'].id).toBe(after.id);
  });

  it('JWT_SECRET_PREVIOUS verifies the replaced secret’s tokens but never signs', async () => {
    const before = await signUp(await start({ JWT_SECRET: secret }));
    const next = randomSecret();
    await start({ JWT_SECRET: next, JWT_SECRET_PREVIOUS: secret });
    expect((await me(before.accessToken)).body.data?.['me'].id).toBe(before.id);
    const after = await signUp(h as HttpHarness);
    expect(decodeProtectedHeader(after.accessToken).kid).not.toBe(decodeProtectedHeader(before.accessToken).kid);
    await start({ JWT_SECRET: next });
    expectRefused(await me(before.accessToken), before.accessToken);
    expect((await me(after.accessToken)).body.data?.['me'].id).toBe(after.id);
  });

  it('an ES256 token whose signature was made by another key with the same kid is refused', async () => {
    await start({ JWT_ALGORITHM: 'ES256', SIGNING_KEYS_SECRET: randomSecret(), JWT_SECRET: secret });
    const user = await signUp(h as HttpHarness);
    const { kid } = decodeProtectedHeader(user.accessToken);
    // HS256 with the kid of the ES256 key (algorithm confusion): refused.
    const forged = jwt.sign({ sub: user.id, jti: 'x' }, secret, {
      algorithm: 'HS256',
      issuer: 'gatehouse',
      audience: 'gatehouse-api',
      expiresIn: 600,
      header: { alg: 'HS256', typ: 'at+jwt', kid: kid as string },
    });
    expectRefused(await me(forged), forged);
  });
});
