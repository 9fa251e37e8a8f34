import { createVerifiedTokens, VERIFIED_TOKENS_KEPT } from '../../src/auth/verified-tokens';

// Tokens that end alike share a slot (the last 12 characters); only the very same token is recalled.
const token = (head: string, tail = 'signature-12') => `${head}.payload.${tail}`;

describe('createVerifiedTokens', () => {
  it('recalls a remembered token until its expiry plus the tolerance, then forgets it', () => {
    const verified = createVerifiedTokens<string>(5);
    verified.remember(token('a'), 'claims of a', 1000);
    expect(verified.recall(token('a'), 999)).toBe('claims of a');
    expect(verified.recall(token('a'), 1004.9)).toBe('claims of a');
    expect(verified.recall(token('a'), 1005)).toBeUndefined();
    // Dropped, not only hidden: an earlier clock does not bring it back.
    expect(verified.recall(token('a'), 999)).toBeUndefined();
  });

  it('never recalls another token that ends like a remembered one (a forgery under its signature)', () => {
    const verified = createVerifiedTokens<string>(0);
    verified.remember(token('genuine'), 'genuine claims', 1000);
    expect(verified.recall(token('forged'), 10)).toBeUndefined();
    expect(verified.recall(token('genuine'), 10)).toBe('genuine claims');
    // The second of two tokens with one slot displaces the first.
    verified.remember(token('other'), 'other claims', 1000);
    expect(verified.recall(token('genuine'), 10)).toBeUndefined();
    expect(verified.recall(token('other'), 10)).toBe('other claims');
  });

  it(`keeps at most ${VERIFIED_TOKENS_KEPT} tokens, dropping the oldest first`, () => {
    const verified = createVerifiedTokens<number>(0);
    const numbered = (i: number) => token('t', String(i).padStart(12, '0'));
    for (let i = 0; i <= VERIFIED_TOKENS_KEPT; i++) verified.remember(numbered(i), i, 1000);
    expect(verified.recall(numbered(0), 10)).toBeUndefined();
    expect(verified.recall(numbered(1), 10)).toBe(1);
    expect(verified.recall(numbered(VERIFIED_TOKENS_KEPT), 10)).toBe(VERIFIED_TOKENS_KEPT);
  });

  it('forgets the entries a test picks and keeps the others', () => {
    const verified = createVerifiedTokens<{ kid: string }>(0);
    verified.remember(token('a', 'tail-of-a-01'), { kid: 'retired' }, 1000);
    verified.remember(token('b', 'tail-of-b-02'), { kid: 'current' }, 1000);
    verified.forgetWhere((value) => value.kid === 'retired');
    expect(verified.recall(token('a', 'tail-of-a-01'), 10)).toBeUndefined();
    expect(verified.recall(token('b', 'tail-of-b-02'), 10)).toEqual({ kid: 'current' });
  });
});
