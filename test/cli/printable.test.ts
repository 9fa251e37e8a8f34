import { printable } from '../../src/cli/printable';

describe('printable', () => {
  it('leaves ordinary text, spaces and non-Latin letters alone', () => {
    expect(printable('Zoë Ng <zoe@example.com> 日本')).toBe('Zoë Ng <zoe@example.com> 日本');
  });

  it('writes control characters, separators and bidi overrides as visible escapes, and doubles backslashes', () => {
    expect(printable('a\u0000b\tc\nd\re\u001b[31mf\u007f\u009b\u2028\u202e\u2066\\')).toBe(
      'a\\x00b\\tc\\nd\\re\\x1b[31mf\\x7f\\x9b\\u2028\\u202e\\u2066\\\\',
    );
  });
});
