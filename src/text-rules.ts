// Decides which text gatehouse stores or prints, whoever supplies it: a request's arguments
// (src/services/validation.ts turns a refusal into BAD_USER_INPUT) and a provider token's claims
// (src/auth/external/tokens.ts drops or refuses them). Pure, and below every layer that needs it.
import { domainToASCII } from 'node:url';

/** Lengths count characters (code points) after trimming where the value is trimmed. */
export const TEXT_LIMITS = Object.freeze({
  emailMax: 254,
  nameMax: 100,
});

/**
 * Characters no text may hold: NUL and the other C0 controls, DEL and the C1 controls (which
 * include terminal escape sequences and forge lines when printed), and the bidirectional embeddings,
 * overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make text display in another order
 * than it is stored. PostgreSQL cannot store NUL in text at all. Free text (a note body) keeps line
 * breaks (LF, CR) and tabs; everything else (emails, names, titles, key names) is one line.
 */
const FORBIDDEN_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const FORBIDDEN_IN_FREE_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/** True when `value` holds a character no text of this kind may hold (see FORBIDDEN_IN_LINE). */
export function hasForbiddenCharacters(value: string, kind: 'line' | 'free' = 'line'): boolean {
  return (kind === 'line' ? FORBIDDEN_IN_LINE : FORBIDDEN_IN_FREE_TEXT).test(value);
}

export function characterCount(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
/** The mailbox part after NFKC: printable ASCII only, so no two mailboxes differ only by look-alike letters. */
const ASCII_LOCAL_PART = /^[\x21-\x7e]+$/;
/** Invisible characters (format controls: zero-width space and joiners, bidi marks, soft hyphen, …) and every kind of space. */
const INVISIBLE = /[\p{Cf}\p{Z}]/u;

/**
 * The one form an email address is stored and compared in, or null when it is not an address
 * gatehouse accepts. Two addresses that display alike are either the same account or visibly
 * different:
 * - NFKC first: fullwidth letters, compatibility forms and decomposed accents (NFD) become their
 *   usual characters;
 * - no control, bidi or invisible character (zero-width space, joiners, marks), anywhere;
 * - the mailbox (before the last `@`) is printable ASCII, so no Cyrillic `а` passes for a Latin `a`;
 * - a domain with non-ASCII letters in its ASCII (IDNA, punycode) form: `bücher.example` and
 *   `xn--bcher-kva.example` are one domain, and a look-alike domain shows as `xn--…`.
 * Case is kept in the mailbox for display; accounts are compared without case (normalizeEmail).
 */
export function canonicalEmail(raw: string): string | null {
  const email = raw.trim().normalize('NFKC');
  if (email === '' || hasForbiddenCharacters(email) || INVISIBLE.test(email) || !EMAIL.test(email)) return null;
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const typed = email.slice(at + 1);
  const ascii = domainToASCII(typed);
  // An ASCII domain keeps the case it was typed in (accounts compare without case anyway).
  const domain = ascii !== '' && ASCII_LOCAL_PART.test(typed) ? typed : ascii;
  if (!ASCII_LOCAL_PART.test(local) || ascii === '' || !EMAIL.test(`${local}@${domain}`)) return null;
  const canonical = `${local}@${domain}`;
  return characterCount(canonical) > TEXT_LIMITS.emailMax ? null : canonical;
}

/**
 * RFC 2606's `.invalid`: never anyone's mail. gatehouse once linked provider accounts under such
 * addresses, and accepting them at sign-up let anyone take one first.
 */
export function isReservedEmail(email: string): boolean {
  return /\.invalid$/i.test(email);
}
