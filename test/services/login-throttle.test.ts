import { lockedUntil, type ThrottlePolicy } from '../../src/services/login-throttle';
import { createTestKit } from '../../src/testkit';

const MINUTE = 60_000;
const policy: ThrottlePolicy = { perAccount: 5, perAddress: 50, windowMs: 15 * MINUTE, maxLockMs: 24 * 60 * MINUTE };
const at = (minute: number) => new Date(Date.UTC(2026, 10, 28, 12, 0) + minute * MINUTE);
const none = { count: 0, oldest: null, newest: null };

describe('lockedUntil', () => {
  it('lets an account with fewer failures than the limit try again at once', () => {
    const four = { count: 4, oldest: at(0), newest: at(3) };
    expect(lockedUntil(policy, { account: four, accountDay: four, address: four })).toBeNull();
  });

  it('locks an account for the window after the limit, counted from the oldest failure', () => {
    const five = { count: 5, oldest: at(0), newest: at(4) };
    expect(lockedUntil(policy, { account: five, accountDay: five, address: five })).toEqual(at(15));
  });

  it('doubles the lockout for every further burst within a day, up to the cap', () => {
    const recent = { count: 5, oldest: at(100), newest: at(104) };
    expect(lockedUntil(policy, { account: recent, accountDay: { count: 10, oldest: at(0), newest: at(104) }, address: none })).toEqual(
      at(104 + 30),
    );
    expect(lockedUntil(policy, { account: none, accountDay: { count: 15, oldest: at(0), newest: at(104) }, address: none })).toEqual(
      at(104 + 60),
    );
    expect(lockedUntil(policy, { account: none, accountDay: { count: 500, oldest: at(0), newest: at(104) }, address: none })).toEqual(
      at(104 + 24 * 60),
    );
  });

  it('locks an address after its own limit', () => {
    expect(lockedUntil(policy, { account: none, accountDay: none, address: { count: 50, oldest: at(2), newest: at(9) } })).toEqual(at(17));
  });
});

describe('exponential back-off through login', () => {
  it('locks a second burst twice as long as the first, and refuses the right password meanwhile', async () => {
    let now = at(0);
    const kit = await createTestKit({ now: () => now, env: { LOGIN_FAILURES_PER_ACCOUNT: '3' } });
    try {
      const user = await kit.createUser({ email: 'target@example.test' });
      const login = (password: string) =>
        kit.execute<{ login: { expiresIn: number } }>(
          'mutation ($p: String!) { login(email: "target@example.test", password: $p) { expiresIn } }',
          {
            variables: { p: password },
          },
        );
      const retryAfter = async (password: string) => (await login(password)).errors?.[0]?.extensions?.['retryAfter'];

      for (let i = 0; i < 3; i++) expect((await login(`wrong ${i}`)).codes).toEqual(['UNAUTHENTICATED']);
      expect(await retryAfter(user.password)).toBe(15 * 60);

      now = at(16); // the first lockout is over: three more guesses
      for (let i = 0; i < 3; i++) expect((await login(`wrong again ${i}`)).codes).toEqual(['UNAUTHENTICATED']);
      expect(await retryAfter(user.password)).toBe(30 * 60);

      now = at(16 + 20); // past the 15-minute window, still inside the doubled lockout
      expect((await login(user.password)).codes).toEqual(['RATE_LIMITED']);

      now = at(16 + 31);
      expect((await login(user.password)).errors).toBeUndefined();
      // A success forgives the account: the next wrong password is an ordinary failure.
      expect((await login('wrong once more')).codes).toEqual(['UNAUTHENTICATED']);
    } finally {
      await kit.close();
    }
  });
});
