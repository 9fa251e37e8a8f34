import { badUserInput } from '../errors';

/** Input limits. Lengths count characters (code points) after trimming where the value is trimmed. */
export const LIMITS = Object.freeze({
  emailMax: 254,
  passwordMin: 8,
  /** Long enough for any passphrase; short enough that hashing cannot be abused. */
  passwordMax: 256,
  nameMax: 100,
  apiKeyNameMax: 100,
  apiKeyMaxDays: 365,
  /** Keys a user may hold that are not revoked: lists of keys stay short. */
  apiKeysPerUser: 100,
  pageMax: 100,
});

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function length(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

export function validEmail(raw: string, argument = 'email'): string {
  const email = raw.trim();
  if (email === '' || length(email) > LIMITS.emailMax || !EMAIL.test(email)) {
    throw badUserInput('Enter a valid email address.', argument);
  }
  return email;
}

export function validNewPassword(password: string, argument = 'password'): string {
  const n = length(password);
  if (n < LIMITS.passwordMin) throw badUserInput(`The password must have at least ${LIMITS.passwordMin} characters.`, argument);
  if (n > LIMITS.passwordMax) throw badUserInput(`The password must have at most ${LIMITS.passwordMax} characters.`, argument);
  return password;
}

/** For login: only refuses what cannot possibly be a password, before any hashing. */
export function plausiblePassword(password: string, argument = 'password'): string {
  const n = length(password);
  if (n === 0 || n > LIMITS.passwordMax) throw badUserInput(`The password must have 1 to ${LIMITS.passwordMax} characters.`, argument);
  return password;
}

/** Trims; an empty or missing value is null. */
export function optionalText(raw: string | null | undefined, max: number, argument: string): string | null {
  if (raw === null || raw === undefined) return null;
  const value = raw.trim();
  if (value === '') return null;
  if (length(value) > max) throw badUserInput(`${argument} must have at most ${max} characters.`, argument);
  return value;
}

export function requiredText(raw: string, max: number, argument: string, trim = true): string {
  const value = trim ? raw.trim() : raw;
  if (value.trim() === '') throw badUserInput(`${argument} must not be empty.`, argument);
  if (length(value) > max) throw badUserInput(`${argument} must have at most ${max} characters.`, argument);
  return value;
}

export function validId(raw: string, argument = 'id'): string {
  if (!UUID.test(raw)) throw badUserInput(`${argument} is not a valid id.`, argument);
  return raw.toLowerCase();
}

export function validPageSize(first: number | null | undefined, argument = 'first'): number {
  const n = first ?? 20;
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.pageMax) throw badUserInput(`${argument} must be between 1 and ${LIMITS.pageMax}.`, argument);
  return n;
}
