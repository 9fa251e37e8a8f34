/** Characters a terminal would act on or hide, and the backslash that starts an escape here. */
const UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

const NAMED: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` safe to print to a terminal as one line: control characters (ANSI escape sequences begin
 * with one), line and paragraph separators and bidirectional overrides become visible escapes
 * (`\n`, `\x1b`, `\u202e`), and a backslash becomes `\\` so an escape cannot be faked. Stored
 * values may predate the input rules in services/validation.ts, so everything the admin command
 * prints from the database goes through this.
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named !== undefined) return named;
    const code = c.codePointAt(0) as number;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
