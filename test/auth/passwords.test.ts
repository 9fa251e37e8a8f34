import { createPasswordHasher } from '../../src/auth/passwords';
import { HashQueueFull } from '../../src/errors';

describe('password hashing', () => {
  const hasher = createPasswordHasher(10);

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    expect(stored).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    await expect(hasher.verify('correct horse battery staple', stored)).resolves.toBe(true);
    await expect(hasher.verify('correct horse battery stapl', stored)).resolves.toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hasher.hash('same password')).not.toBe(await hasher.hash('same password'));
  });

  it('keeps old hashes verifiable when the cost is raised', async () => {
    const stored = await hasher.hash('pass phrase one');
    await expect(createPasswordHasher(12).verify('pass phrase one', stored)).resolves.toBe(true);
  });

  it('answers false for a malformed stored hash instead of throwing', async () => {
    await expect(hasher.verify('x', 'not-a-hash')).resolves.toBe(false);
    await expect(hasher.verify('x', '$scrypt$ln=99,r=8,p=1$AAAA$AAAA')).resolves.toBe(false);
  });

  it("uses OWASP's parameters by default (N = 2^17, r = 8, p = 1) without blocking the event loop", async () => {
    const strong = createPasswordHasher(17);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const stored = await strong.hash('a long enough password');
    clearInterval(timer);
    expect(stored.startsWith('$scrypt$ln=17,r=8,p=1$')).toBe(true);
    // The event loop kept running while scrypt worked on the thread pool.
    expect(ticks).toBeGreaterThan(2);
    await expect(strong.verify('a long enough password', stored)).resolves.toBe(true);
  });
});

describe('hashing under a flood', () => {
  it('runs at most `concurrency` hashes at once and refuses, with HashQueueFull, beyond a bounded queue', async () => {
    const hasher = createPasswordHasher(12, { concurrency: 1, maxWaiting: 4 });
    const attempts = Array.from({ length: 14 }, (_, i) =>
      hasher.hash(`password ${i}`).then(
        () => 'hashed',
        (e: unknown) => (e instanceof HashQueueFull ? `full ${e.retryAfterSeconds}` : e),
      ),
    );
    const results = await Promise.all(attempts);
    expect(results.filter((r) => r === 'hashed')).toHaveLength(5);
    expect(results.filter((r) => r === 'full 1')).toHaveLength(9);
  });

  it('checks unknown accounts against a dummy that a full queue does not spoil', async () => {
    const hasher = createPasswordHasher(12, { concurrency: 1, maxWaiting: 0 });
    const busy = hasher.hash('occupies the only slot');
    // The first dummy check meets the full queue; it must not leave a broken dummy behind.
    await expect(hasher.verifyDummy('any password')).rejects.toBeInstanceOf(HashQueueFull);
    await busy;
    await expect(hasher.verifyDummy('any password')).resolves.toBeUndefined();
  });
});
