import { createPasswordHasher, MAX_WAITING_HASHES } from '../../src/auth/passwords';

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
  it('runs at most `concurrency` hashes at once and refuses, with RATE_LIMITED, beyond a bounded queue', async () => {
    const hasher = createPasswordHasher(14, 1);
    const attempts = Array.from({ length: MAX_WAITING_HASHES + 10 }, (_, i) => hasher.hash(`password ${i}`).then(() => 'hashed', (e: { extensions?: { code?: string } }) => e.extensions?.code));
    const results = await Promise.all(attempts);
    expect(results.filter((r) => r === 'hashed')).toHaveLength(MAX_WAITING_HASHES + 1);
    expect(results.filter((r) => r === 'RATE_LIMITED')).toHaveLength(9);
  });
});
