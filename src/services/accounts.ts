import type { App } from '../app';
import { generateRefreshToken, isWellFormedRefreshToken, sha256 } from '../auth/secrets';
import { badUserInput, rateLimited, unauthenticated } from '../errors';
import { isUniqueViolation } from '../store/database';
import { clearAccountFailures, failuresForAccount, failuresForAddress, forgetLoginFailure, pruneLoginFailures, recordLoginFailure } from '../store/login-failures';
import { claimRefreshToken, findRefreshTokenByHash, insertRefreshToken, isFamilyRevoked, revokeRefreshFamily } from '../store/refresh-tokens';
import { countRecentActions } from '../store/audit-events';
import { newId } from '../store/ids';
import type { StoredRole } from '../store/schema';
import { findLoginByEmail, findUserById, insertUser, normalizeEmail, updateUserRole, type UserRecord } from '../store/users';
import { audit, CLI_ORIGIN, type RequestOrigin } from './audit';
import { endSession } from './sessions';
import { BACK_OFF_HORIZON_MS, lockedUntil } from './login-throttle';
import { LIMITS, optionalText, plausiblePassword, validEmail, validNewPassword } from './validation';

/** What signUp, login and refreshToken return. */
export interface Session {
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Access-token lifetime in seconds. */
  readonly expiresIn: number;
  readonly user: UserRecord;
}

const LOGIN_FAILED = 'Invalid email or password.';

/**
 * Issues an access token and a refresh token. A new login starts a family; a refresh continues
 * the family of the token it replaces, and never past the family's absolute end.
 */
async function startSession(app: App, user: UserRecord, family?: { id: string; expiresAt: Date }): Promise<Session> {
  const now = app.now();
  const { idleTtlSeconds, absoluteTtlSeconds } = app.config.refreshTokens;
  const familyId = family?.id ?? newId();
  const familyExpiresAt = family?.expiresAt ?? new Date(now.getTime() + absoluteTtlSeconds * 1000);
  const access = app.accessTokens.issue(user.id, now, familyId);
  const refresh = generateRefreshToken();
  await insertRefreshToken(app.store.db, {
    id: newId(),
    userId: user.id,
    familyId,
    tokenHash: refresh.tokenHash,
    now,
    expiresAt: new Date(Math.min(now.getTime() + idleTtlSeconds * 1000, familyExpiresAt.getTime())),
    familyExpiresAt,
  });
  return { accessToken: access.token, refreshToken: refresh.token, expiresIn: access.expiresIn, user };
}

/** Validates and stores a new account. A duplicate email (in any letter case) is BAD_USER_INPUT. */
export async function createUser(
  app: App,
  input: { email: string; password: string; name?: string | null; role?: StoredRole },
  origin: RequestOrigin,
): Promise<UserRecord> {
  const email = validEmail(input.email);
  const password = validNewPassword(input.password);
  const name = optionalText(input.name, LIMITS.nameMax, 'name');
  const passwordHash = await app.passwords.hash(password);
  let user: UserRecord;
  try {
    user = await insertUser(app.store.db, { id: newId(), email, name, passwordHash, role: input.role ?? 'USER', now: app.now() });
  } catch (error) {
    if (isUniqueViolation(error)) throw badUserInput('An account with this email already exists.', 'email');
    throw error;
  }
  const selfService = origin.actorId === null && origin.address !== CLI_ORIGIN.address;
  await audit(app, selfService ? { ...origin, actorId: user.id } : origin, selfService ? 'user.signed_up' : 'user.created', {
    subjectId: user.id,
    detail: selfService ? null : { role: user.role },
  });
  return user;
}

/**
 * Creates a USER account and signs it in. Sign-ups are limited per client address (each costs a
 * password hash and an account): SIGNUPS_PER_ADDRESS in 15 minutes, counted from the audit log, so
 * the limit holds across instances. Parallel sign-ups from one address may pass it by a few.
 */
export async function signUp(app: App, input: { email: string; password: string; name?: string | null }, origin: RequestOrigin): Promise<Session> {
  if (origin.address !== null) {
    const windowMs = app.config.loginFailures.windowSeconds * 1000;
    const now = app.now();
    const recent = await countRecentActions(app.store.db, 'user.signed_up', origin.address, new Date(now.getTime() - windowMs));
    if (recent.count >= app.config.signUpsPerAddress && recent.oldest !== null) {
      throw rateLimited((recent.oldest.getTime() + windowMs - now.getTime()) / 1000);
    }
  }
  return startSession(app, await createUser(app, { ...input, role: 'USER' }, { ...origin, actorId: null }));
}

/**
 * Checks a password, throttled per account and per client address. Unknown email and wrong password
 * give the same error after the same work; while an account or address is locked out even the right
 * password is refused.
 */
export async function login(app: App, input: { email: string; password: string }, origin: RequestOrigin): Promise<Session> {
  const email = validEmail(input.email);
  const password = plausiblePassword(input.password);
  const accountKey = normalizeEmail(email);
  const { db } = app.store;
  const { perAccount, perAddress, windowSeconds } = app.config.loginFailures;
  const now = app.now();
  const since = new Date(now.getTime() - windowSeconds * 1000);

  const clientAddress = origin.address ?? 'unknown';
  // The attempt is counted as a failure before the password is checked, and forgiven only when it
  // succeeds: parallel requests then see each other, so they cannot slip more guesses past the limit
  // than the limit itself while the slow hash runs.
  const attempt = await recordLoginFailure(db, { accountKey, address: clientAddress, now });
  const [account, accountDay, address] = await Promise.all([
    failuresForAccount(db, accountKey, since, attempt),
    failuresForAccount(db, accountKey, new Date(now.getTime() - BACK_OFF_HORIZON_MS), attempt),
    failuresForAddress(db, clientAddress, since, attempt),
  ]);
  const until = lockedUntil({ perAccount, perAddress, windowMs: windowSeconds * 1000, maxLockMs: BACK_OFF_HORIZON_MS }, { account, accountDay, address });
  if (until !== null && until > now) {
    await forgetLoginFailure(db, attempt); // a refused attempt guesses nothing, so it does not extend the lockout
    await audit(app, origin, 'login.rate_limited', { detail: { email: accountKey } });
    throw rateLimited((until.getTime() - now.getTime()) / 1000);
  }

  const found = await findLoginByEmail(db, email);
  const passwordMatches = found === undefined ? (await app.passwords.verifyDummy(password), false) : await app.passwords.verify(password, found.passwordHash);
  if (found === undefined || !passwordMatches || found.user.disabledAt !== null) {
    await audit(app, origin, 'login.failed', { subjectId: found?.user.id ?? null, detail: { email: accountKey } });
    throw unauthenticated(LOGIN_FAILED);
  }
  await clearAccountFailures(db, accountKey);
  await pruneLoginFailures(db, new Date(now.getTime() - BACK_OFF_HORIZON_MS));
  await audit(app, { ...origin, actorId: found.user.id }, 'login.succeeded', { subjectId: found.user.id });
  return startSession(app, found.user);
}

/**
 * Exchanges a refresh token for a new pair. Each refresh token works once; presenting a used one
 * again means it was stolen or replayed, so its whole family is revoked (RFC 9700 §4.14.2).
 */
export async function refresh(app: App, token: string, origin: RequestOrigin): Promise<Session> {
  const refused = () => unauthenticated('The refresh token is invalid, expired or revoked.');
  if (!isWellFormedRefreshToken(token)) throw refused();
  const { db } = app.store;
  const now = app.now();
  const stored = await findRefreshTokenByHash(db, sha256(token));
  if (stored === undefined || stored.revokedAt !== null || stored.expiresAt <= now) throw refused();
  if (stored.usedAt !== null || !(await claimRefreshToken(db, stored.id, now))) {
    // Whoever holds the family's tokens now may be the thief: end the session, access tokens too.
    await endSession(app, stored.userId, stored.familyId);
    await audit(app, origin, 'refresh_token.reused', { subjectId: stored.userId, detail: { family: stored.familyId } });
    throw refused();
  }
  const user = await findUserById(db, stored.userId);
  if (user === undefined || user.disabledAt !== null) throw refused();
  const session = await startSession(app, user, { id: stored.familyId, expiresAt: stored.familyExpiresAt ?? stored.expiresAt });
  // A replay racing this refresh may have revoked the family between our claim and the insert of
  // the new token, which that revocation did not see. Checking after the insert closes the gap:
  // a revocation after this check covers the new token too.
  if (await isFamilyRevoked(db, stored.familyId)) {
    await revokeRefreshFamily(db, stored.familyId, app.now());
    throw refused();
  }
  return session;
}

/**
 * Makes sure an ADMIN with this email exists (start-up, ADMIN_EMAIL/ADMIN_PASSWORD). Creates one,
 * or promotes an existing account; never changes an existing password. Idempotent.
 */
export async function ensureAdmin(app: App, rawEmail: string, password: string): Promise<{ user: UserRecord; created: boolean }> {
  const email = validEmail(rawEmail, 'ADMIN_EMAIL');
  validNewPassword(password, 'ADMIN_PASSWORD');
  const existing = await findLoginByEmail(app.store.db, email);
  if (existing !== undefined) {
    if (existing.user.role === 'ADMIN') return { user: existing.user, created: false };
    const changed = await updateUserRole(app.store.db, existing.user.id, 'ADMIN');
    if (changed.status !== 'changed') throw new Error(`could not promote ${email}`);
    await audit(app, CLI_ORIGIN, 'user.role_changed', { subjectId: changed.user.id, detail: { from: existing.user.role, to: 'ADMIN', source: 'ADMIN_EMAIL' } });
    return { user: changed.user, created: false };
  }
  const passwordHash = await app.passwords.hash(password);
  try {
    const user = await insertUser(app.store.db, { id: newId(), email, name: null, passwordHash, role: 'ADMIN', now: app.now() });
    await audit(app, CLI_ORIGIN, 'user.created', { subjectId: user.id, detail: { role: 'ADMIN', source: 'ADMIN_EMAIL' } });
    return { user, created: true };
  } catch (error) {
    // Another instance starting at the same moment created it first.
    if (isUniqueViolation(error)) return ensureAdmin(app, rawEmail, password);
    throw error;
  }
}
