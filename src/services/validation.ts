import { InvalidInput } from '../errors';
import { canonicalEmail, characterCount, hasForbiddenCharacters, TEXT_LIMITS } from '../text-rules';

/** Input limits. Lengths count characters (code points) after trimming where the value is trimmed. */
export const LIMITS = Object.freeze({
  emailMax: TEXT_LIMITS.emailMax,
  passwordMin: 8,
  /** Long enough for any passphrase; short enough that hashing cannot be abused. */
  passwordMax: 256,
  nameMax: TEXT_LIMITS.nameMax,
  apiKeyNameMax: 100,
  apiKeyMaxDays: 365,
  /** Longest a rotated key's former secret may keep working: 30 days. */
  apiKeyMaxGraceSeconds: 30 * 86_400,
  /** Keys a user may hold that are not revoked: lists of keys stay short. */
  apiKeysPerUser: 100,
  pageMax: 100,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Refuses `value` when it holds a character no text input may hold (src/text-rules.ts). */
export function plainText(value: string, argument: string, kind: 'line' | 'free' = 'line'): string {
  if (hasForbiddenCharacters(value, kind)) {
    const allowed =
      kind === 'line' ? 'control characters (line breaks, tabs, NUL, escapes)' : 'control characters other than line breaks and tabs';
    throw new InvalidInput(`${argument} must not contain ${allowed} or bidirectional overrides.`, argument);
  }
  return value;
}

const length = characterCount;

/** The address in its stored form (src/text-rules.ts canonicalEmail), or InvalidInput. */
export function validEmail(raw: string, argument = 'email'): string {
  plainText(raw.trim(), argument);
  const email = canonicalEmail(raw);
  if (email === null) throw new InvalidInput('Enter a valid email address.', argument);
  return email;
}

/**
 * The forms to look an account up by at login: the stored form of today's rule (validEmail) and,
 * when it differs, the address as typed under the rule before it (any mailbox, a Unicode domain),
 * so that an account made before the rule can still sign in. Sign-up never stores the second form.
 */
export function loginEmails(raw: string, argument = 'email'): readonly string[] {
  const typed = plainText(raw.trim(), argument);
  const canonical = canonicalEmail(raw);
  const legacy = typed !== '' && length(typed) <= LIMITS.emailMax && LEGACY_EMAIL.test(typed) ? typed : null;
  const forms = [canonical, legacy].filter((form): form is string => form !== null);
  if (forms.length === 0) throw new InvalidInput('Enter a valid email address.', argument);
  return forms[0] === forms[1] ? [forms[0]!] : forms;
}

/** The shape addresses had to have before canonicalEmail (accounts made then still sign in). */
const LEGACY_EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

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
