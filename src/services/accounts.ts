import type { App } from '../app';
import { mayAct } from '../auth/authenticate';
import { mostSeniorRole, SIGN_UP_ROLE, TOP_ROLE } from '../auth/roles';
import { generateRefreshToken, isWellFormedRefreshToken, sha256 } from '../auth/secrets';
import { HashQueueFull, InvalidInput, RateLimited, Unauthenticated } from '../errors';
import { limitKeyOf } from '../client-address';
import { isUniqueViolation } from '../store/failures';
import { isReservedEmail } from '../text-rules';
import {
  clearAccountFailures,
  failuresForAccount,
  failuresForAddress,
  forgetLoginFailure,
  pruneLoginFailures,
  recordLoginFailure,
} from '../store/login-failures';
import {
  claimRefreshToken,
  findRefreshTokenByHash,
  insertRefreshToken,
  isFamilyRevoked,
  revokeRefreshFamily,
} from '../store/refresh-tokens';
import { forgetSignupAttempt, pruneSignupAttempts, recordSignupAttempt } from '../store/signup-attempts';
import { newId } from '../store/ids';
import { findLoginByEmail, findUserById, grantUserRole, insertUser, normalizeEmail, type UserRecord } from '../store/users';
import { audit, auditOncePerWindow, CLI_ORIGIN, type RequestOrigin } from './audit';
import { declaredRole } from './users';
import { endSession } from './sessions';
import { BACK_OFF_HORIZON_MS, lockedUntil } from './login-throttle';
import { LIMITS, loginEmails, optionalText, plausiblePassword, validEmail, validNewPassword } from './validation';

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

/**
 * Validates and stores a new account. A duplicate email (in any letter case) is InvalidInput,
 * found before the password is hashed: a duplicate costs no hash. (What that answer reveals, and
 * why it is given, is in docs/credentials.md, "Sign-up and what it reveals".)
 */
export async function createUser(
  app: App,
  input: { email: string; password: string; name?: string | null; role?: string; roles?: readonly string[] },
  origin: RequestOrigin,
): Promise<UserRecord> {
  const email = validEmail(input.email);
  // Reserved, never anyone's mail: no account may hold one (gatehouse once linked provider accounts under such addresses).
  if (isReservedEmail(email)) throw new InvalidInput('Enter a valid email address (.invalid is reserved).', 'email');
  const password = validNewPassword(input.password);
  const name = optionalText(input.name, LIMITS.nameMax, 'name');
  const roles = (input.roles ?? [input.role ?? SIGN_UP_ROLE]).map((role) => declaredRole(app, role));
  const duplicate = () => new InvalidInput('An account with this email already exists.', 'email');
  if ((await findLoginByEmail(app.store.db, email)) !== undefined) throw duplicate();
  const passwordHash = await app.passwords.hash(password);
  let user: UserRecord;
  try {
    user = await insertUser(app.store.db, { id: newId(), email, name, passwordHash, roles, now: app.now() });
  } catch (error) {
    // Signed up by a parallel request between the check and the insert.
    if (isUniqueViolation(error)) throw duplicate();
    throw error;
  }
  const selfService = origin.actorId === null && origin.source === 'request';
  await audit(app, selfService ? { ...origin, actorId: user.id } : origin, selfService ? 'user.signed_up' : 'user.created', {
    subjectId: user.id,
    detail: selfService ? null : { role: mostSeniorRole(app.roles, user.roles) ?? null, roles: user.roles.join(',') },
  });
  return user;
}

/**
 * Creates a USER account and signs it in. Every attempt counts against SIGNUPS_PER_ADDRESS in the
 * window (15 minutes) before anything else is looked at: a duplicate email or a short password
 * counts too, so the duplicate answer cannot be asked for without limit. Attempts are recorded and
 * counted one at a time per address (store/signup-attempts.ts), so neither a parallel burst nor a
 * second instance on the same database gets past the limit. Attempts refused before any work (this
 * limit, or no free hash slot) are forgotten, so refusals do not extend the wait.
 */
export async function signUp(
  app: App,
  input: { email: string; password: string; name?: string | null },
  origin: RequestOrigin,
): Promise<Session> {
  const { db } = app.store;
  const windowMs = app.config.loginFailures.windowSeconds * 1000;
  const now = app.now();
  const since = new Date(now.getTime() - windowMs);
  const attempt = await recordSignupAttempt(db, { address: limitKeyOf(origin.address, app.config.ipv6LimitPrefix), now, since });
  if (attempt.others >= app.config.signUpsPerAddress) {
    await forgetSignupAttempt(db, attempt.id);
    const retryAtMs = (attempt.oldest ?? now).getTime() + windowMs;
    throw new RateLimited((retryAtMs - now.getTime()) / 1000, 'sign-ups from this address');
  }
  let user: UserRecord;
  try {
    user = await createUser(app, { ...input, roles: [SIGN_UP_ROLE] }, { ...origin, actorId: null });
  } catch (error) {
    if (error instanceof HashQueueFull) await forgetSignupAttempt(db, attempt.id);
    throw error;
  }
  await pruneSignupAttempts(db, since);
  return startSession(app, user);
}

/**
 * Checks a password, throttled per account and per client address. Unknown email and wrong password
 * give the same error after the same work; while an account or address is locked out even the right
 * password is refused.
 */
export async function login(app: App, input: { email: string; password: string }, origin: RequestOrigin): Promise<Session> {
  const [email, typedBeforeRule] = loginEmails(input.email);
  const password = plausiblePassword(input.password);
  const accountKey = normalizeEmail(email!);
  const { db } = app.store;
  const { perAccount, perAddress, windowSeconds } = app.config.loginFailures;
  const now = app.now();
  const since = new Date(now.getTime() - windowSeconds * 1000);

  // Counted per IPV6_LIMIT_PREFIX network for IPv6 (src/client-address.ts); the audit rows keep the full address.
  const addressKey = limitKeyOf(origin.address, app.config.ipv6LimitPrefix);
  // The attempt is counted as a failure before the password is checked, and forgiven only when it
  // succeeds: parallel requests then see each other, so they cannot slip more guesses past the limit
  // than the limit itself while the slow hash runs.
  const attempt = await recordLoginFailure(db, { accountKey, address: addressKey, now });
  const [account, accountDay, address] = await Promise.all([
    failuresForAccount(db, accountKey, since, attempt),
    failuresForAccount(db, accountKey, new Date(now.getTime() - BACK_OFF_HORIZON_MS), attempt),
    failuresForAddress(db, addressKey, since, attempt),
  ]);
  const until = lockedUntil(
    { perAccount, perAddress, windowMs: windowSeconds * 1000, maxLockMs: BACK_OFF_HORIZON_MS },
    { account, accountDay, address },
  );
  if (until !== null && until > now) {
    await forgetLoginFailure(db, attempt); // a refused attempt guesses nothing, so it does not extend the lockout
    // Refusals cost the caller nothing; one row per account and address per window says enough.
    await auditOncePerWindow(app, origin, 'login.rate_limited', windowSeconds * 1000, { detail: { email: accountKey } });
    throw new RateLimited((until.getTime() - now.getTime()) / 1000);
  }

  const found =
    (await findLoginByEmail(db, email!)) ?? (typedBeforeRule === undefined ? undefined : await findLoginByEmail(db, typedBeforeRule));
  let passwordMatches: boolean;
  try {
    // Unknown and known accounts take the same path through the hash queue, full or not.
    passwordMatches =
      found === undefined
        ? await app.passwords.verifyDummy(password).then(() => false)
        : await app.passwords.verify(password, found.passwordHash);
  } catch (error) {
    // No hash slot: the password was not checked, so this is no failed attempt and no lockout.
    if (error instanceof HashQueueFull) await forgetLoginFailure(db, attempt);
    throw error;
  }
  if (found === undefined || !passwordMatches || !mayAct(found.user)) {
    await audit(app, origin, 'login.failed', { subjectId: found?.user.id ?? null, detail: { email: accountKey } });
    throw new Unauthenticated(LOGIN_FAILED);
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
  const refused = () => new Unauthenticated('The refresh token is invalid, expired or revoked.');
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
  if (user === undefined || !mayAct(user)) throw refused();
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

/** Start-up must not go on: ADMIN_EMAIL names an account that ADMIN_PASSWORD does not open. */
export class AdminBootstrapRefused extends Error {
  override readonly name = 'AdminBootstrapRefused';
}

export interface AdminBootstrap {
  readonly user: UserRecord;
  /** `exists`: already ADMIN, left alone; `promoted`: an existing account whose password is ADMIN_PASSWORD. */
  readonly outcome: 'created' | 'promoted' | 'exists';
}

/**
 * Makes sure an ADMIN with this email exists (start-up, ADMIN_EMAIL/ADMIN_PASSWORD). Creates one, or
 * promotes an existing account whose password is ADMIN_PASSWORD; never changes a password. An
 * existing account with another password may have been signed up by anyone before ADMIN_EMAIL was
 * set: promoting it would hand that person the ADMIN role, so start-up refuses (AdminBootstrapRefused)
 * and the operator decides. Idempotent.
 */
export async function ensureAdmin(app: App, rawEmail: string, password: string): Promise<AdminBootstrap> {
  const email = validEmail(rawEmail, 'ADMIN_EMAIL');
  validNewPassword(password, 'ADMIN_PASSWORD');
  const existing = await findLoginByEmail(app.store.db, email);
  if (existing !== undefined) {
    if (existing.user.roles.includes(TOP_ROLE)) return { user: existing.user, outcome: 'exists' };
    if (!(await app.passwords.verify(password, existing.passwordHash))) {
      throw new AdminBootstrapRefused(
        `ADMIN_EMAIL names an existing ${mostSeniorRole(app.roles, existing.user.roles) ?? 'USER'} account (${email}) whose password is not ADMIN_PASSWORD; ` +
          'it was not made ADMIN, since whoever signed it up would get the role. If the account is yours, make it ADMIN with ' +
          `\`gatehouse admin set-role --email ${email} --role ADMIN\` (from a checkout: \`npm run admin -- set-role --email ${email} --role ADMIN\`) ` +
          'and start again; otherwise set ADMIN_EMAIL to an address that has no account yet.',
      );
    }
    const changed = await grantUserRole(app.store.db, existing.user.id, TOP_ROLE, app.now());
    if (changed.status !== 'changed') throw new Error(`could not promote ${email}`);
    await audit(app, CLI_ORIGIN, 'user.role_changed', {
      subjectId: changed.user.id,
      detail: { from: mostSeniorRole(app.roles, existing.user.roles) ?? null, to: TOP_ROLE, source: 'ADMIN_EMAIL' },
    });
    return { user: changed.user, outcome: 'promoted' };
  }
  const passwordHash = await app.passwords.hash(password);
  try {
    const user = await insertUser(app.store.db, { id: newId(), email, name: null, passwordHash, roles: [TOP_ROLE], now: app.now() });
    await audit(app, CLI_ORIGIN, 'user.created', { subjectId: user.id, detail: { role: 'ADMIN', source: 'ADMIN_EMAIL' } });
    return { user, outcome: 'created' };
  } catch (error) {
    // Another instance starting at the same moment created it first.
    if (isUniqueViolation(error)) return ensureAdmin(app, rawEmail, password);
    throw error;
  }
}
