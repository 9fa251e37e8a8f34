import { randomBytes } from 'node:crypto';
import { createKeyRing, LEARN_COOLDOWN_MS } from '../../src/auth/key-ring';
import { makeSigningKey } from '../../src/auth/signing-keys';
import { insertSigningKey, listSigningKeys, signingKeysVersion } from '../../src/store/signing-keys';
import { randomSecret } from '../helpers/http';
import { freshStore } from '../helpers/store';

/*
 * The key ring over a real SQLite store, with no change signal: a token naming a kid the ring does
 * not hold reloads the keys (a key another instance made a moment ago), but at most once per
 * LEARN_COOLDOWN_MS, so a flood of made-up kids costs the database next to nothing.
 */
describe('learning a kid the key ring does not hold', () => {
  const { db } = freshStore('sqlite');
  const secret = randomSecret();
  let lists = 0;
  let versions = 0;
  const ring = () =>
    createKeyRing({
      algorithm: 'ES256',
      hsSecret: null,
      hsPreviousSecret: null,
      signingKeysSecret: secret,
      timing: { accessTokenTtlSeconds: 900, clockToleranceSeconds: 5 },
      now: () => new Date(),
      store: {
        list: () => {
          lists++;
          return listSigningKeys(db());
        },
        version: () => {
          versions++;
          return signingKeysVersion(db());
        },
        insertFirst: (key) => insertSigningKey(db(), key, true),
        onChange: () => undefined,
      },
    });

  it('reloads at most once per cooldown for made-up kids, and still learns a key made elsewhere', async () => {
    const keys = ring();
    try {
      await keys.ready();
      const afterReady = lists;
      const versionsAfterReady = versions;
      const madeUp = () => randomBytes(32).toString('base64url');
      await Promise.all(Array.from({ length: 100 }, () => keys.learn(madeUp())));
      for (let i = 0; i < 100; i++) await keys.learn(madeUp());
      // One look at the keys' version, which has not changed: no reload.
      expect(versions - versionsAfterReady).toBe(1);
      expect(lists - afterReady).toBe(0);

      // Another instance makes a key (plain `keys rotate`); no signal reaches this ring.
      const made = makeSigningKey(secret, new Date());
      await insertSigningKey(db(), made, false);
      await new Promise((resolve) => setTimeout(resolve, LEARN_COOLDOWN_MS + 50));
      await keys.learn(made.kid);
      expect(keys.verifying(made.kid)).toHaveLength(1);
      expect(versions - versionsAfterReady).toBe(2);
      expect(lists - afterReady).toBe(1);
    } finally {
      keys.close();
    }
  });
});
