import { InvalidInput } from '../../src/errors';
import { validEmail } from '../../src/services/validation';
import { normalizeEmail } from '../../src/store/users';

/* Look-alike addresses (issue 29, item 8): one account, or visibly different, never two that display alike. */
describe('validEmail: the one form an address is stored and compared in', () => {
  it('keeps a plain address as typed', () => {
    expect(validEmail('  Ops@Example.com ')).toBe('Ops@Example.com');
  });

  it('folds fullwidth and decomposed (NFD) forms to their usual characters, so they are the same account', () => {
    expect(validEmail('ａｌｉｃｅ@ｅｘａｍｐｌｅ.com')).toBe('alice@example.com');
    expect(normalizeEmail(validEmail('ALICE@EXAMPLE.COM'))).toBe(normalizeEmail(validEmail('ａｌｉｃｅ@ｅｘａｍｐｌｅ.com')));
  });

  it('stores an internationalized domain in its ASCII form, so the Unicode and punycode spellings are one account', () => {
    expect(validEmail('x@bücher.example')).toBe('x@xn--bcher-kva.example');
    expect(validEmail('x@bu\u0308cher.example')).toBe('x@xn--bcher-kva.example');
    expect(validEmail('x@xn--bcher-kva.example')).toBe('x@xn--bcher-kva.example');
    // A look-alike domain (Cyrillic а) is another domain, and shows as one.
    expect(validEmail('x@\u0430pple.com')).toBe('x@xn--pple-43d.com');
  });

  it.each([
    ['a zero-width space', 'al\u200bice@example.com'],
    ['a zero-width joiner', 'al\u200dice@example.com'],
    ['a left-to-right mark', 'alice\u200e@example.com'],
    ['a bidi override', 'alice\u202e@example.com'],
    ['a soft hyphen', 'al\u00adice@example.com'],
    ['a Cyrillic letter in the mailbox', '\u0430lice@example.com'],
    ['a no-break space', 'al\u00a0ice@example.com'],
  ])('refuses an address with %s', (_label, email) => {
    expect(() => validEmail(email)).toThrow(InvalidInput);
  });
});
