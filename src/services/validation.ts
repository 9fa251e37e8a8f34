import { InvalidInput } from '../errors';

/** Input limits. Lengths count characters (code points) after trimming where the value is trimmed. */
export const LIMITS = Object.freeze({
  emailMax: 254,
  passwordMin: 8,
  /** Long enough for any passphrase; short enough that hashing cannot be abused. */
  passwordMax: 256,
  nameMax: 100,
  apiKeyNameMax: 100,
  apiKeyMaxDays: 365,
  /** Longest a rotated key's former secret may keep working: 30 days. */
  apiKeyMaxGraceSeconds: 30 * 86_400,
  /** Keys a user may hold that are not revoked: lists of keys stay short. */
  apiKeysPerUser: 100,
  pageMax: 100,
});

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Characters no text input may hold: NUL and the other C0 controls, DEL and the C1 controls (which
 * include terminal escape sequences and forge lines when printed), and the bidirectional embeddings,
 * overrides and isolates (U+202A–U+202E, U+2066–U+2069), which make text display in another order
 * than it is stored. PostgreSQL cannot store NUL in text at all. Free text (a note body) keeps line
 * breaks (LF, CR) and tabs; everything else (emails, names, titles, key names) is one line.
 */
const FORBIDDEN_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const FORBIDDEN_IN_FREE_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/** Refuses `value` when it holds a character no text input may hold (see FORBIDDEN_IN_LINE). */
export function plainText(value: string, argument: string, kind: 'line' | 'free' = 'line'): string {
  if ((kind === 'line' ? FORBIDDEN_IN_LINE : FORBIDDEN_IN_FREE_TEXT).test(value)) {
    const allowed =
      kind === 'line' ? 'control characters (line breaks, tabs, NUL, escapes)' : 'control characters other than line breaks and tabs';
    throw new InvalidInput(`${argument} must not contain ${allowed} or bidirectional overrides.`, argument);
  }
  return value;
}

function length(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

export function validEmail(raw: string, argument = 'email'): string {
  const email = plainText(raw.trim(), argument);
  if (email === '' || length(email) > LIMITS.emailMax || !EMAIL.test(email)) {
    throw new InvalidInput('Enter a valid email address.', argument);
  }
  return email;
}

/**
 * A password being set. Control characters and bidirectional overrides are refused as in any other
 * text: they cannot be typed back reliably. (A login's password is not checked for them: it is
 * never stored or shown, and a password set before this rule must keep working.)
 */
export function validNewPassword(password: string, argument = 'password'): string {
  plainText(password, argument);
  const n = length(password);
  if (n < LIMITS.passwordMin) throw new InvalidInput(`The password must have at least ${LIMITS.passwordMin} characters.`, argument);
  if (n > LIMITS.passwordMax) throw new InvalidInput(`The password must have at most ${LIMITS.passwordMax} characters.`, argument);
  return password;
}

/** For login: only refuses what cannot possibly be a password, before any hashing. */
export function plausiblePassword(password: string, argument = 'password'): string {
  const n = length(password);
  if (n === 0 || n > LIMITS.passwordMax) throw new InvalidInput(`The password must have 1 to ${LIMITS.passwordMax} characters.`, argument);
  return password;
}

/** Trims; an empty or missing value is null. */
export function optionalText(raw: string | null | undefined, max: number, argument: string): string | null {
  if (raw === null || raw === undefined) return null;
  const value = plainText(raw.trim(), argument);
  if (value === '') return null;
  if (length(value) > max) throw new InvalidInput(`${argument} must have at most ${max} characters.`, argument);
  return value;
}

/**
 * Text that must not be empty. `trim` false: free text, kept as written (surrounding whitespace,
 * line breaks and tabs included); true: one line, trimmed.
 */
export function requiredText(raw: string, max: number, argument: string, trim = true): string {
  const value = plainText(trim ? raw.trim() : raw, argument, trim ? 'line' : 'free');
  if (value.trim() === '') throw new InvalidInput(`${argument} must not be empty.`, argument);
  if (length(value) > max) throw new InvalidInput(`${argument} must have at most ${max} characters.`, argument);
  return value;
}

export function validId(raw: string, argument = 'id'): string {
  if (!UUID.test(raw)) throw new InvalidInput(`${argument} is not a valid id.`, argument);
  return raw.toLowerCase();
}

export function validPageSize(first: number | null | undefined, argument = 'first'): number {
  const n = first ?? 20;
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.pageMax)
    throw new InvalidInput(`${argument} must be between 1 and ${LIMITS.pageMax}.`, argument);
  return n;
}
