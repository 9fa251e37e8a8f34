import type { App } from '../app';
import { serializeEndedSessions, withEndedSessions } from '../auth/session-ends';
import { isWellFormedRefreshToken, sha256 } from '../auth/secrets';
import type { Viewer } from '../auth/viewer';
import { InvalidInput, NotFound, RateLimited } from '../errors';
import { limitKeyOf } from '../client-address';
import {
  clearAccountFailures,
  failuresForAccount,
  failuresForAddress,
  forgetLoginFailure,
  recordLoginFailure,
} from '../store/login-failures';
import { familiesIssuedSince, findRefreshTokenByHash, revokeRefreshFamily, revokeUserFamilies } from '../store/refresh-tokens';
import { findLoginById, normalizeEmail, updatePasswordHash, updateSessionEnds } from '../store/users';
import { audit, auditOncePerWindow, type RequestOrigin } from './audit';
import { BACK_OFF_HORIZON_MS, lockedUntil } from './login-throttle';
import { plausiblePassword, validId, validNewPassword } from './validation';

/*
 * Ending sessions. A session is one login: its refresh-token family and every access token issued
 * with the family's tokens (they carry the family id as `sid`). Refresh tokens are revoked in their
 * table; access tokens cannot be recalled, so the session ids that are over are written to the
 * user's row, which authentication reads on every request anyway (src/auth/session-ends.ts). An id
 * stays there only until the session's last access token expires.
 */

/**
 * Seconds an ended session's id is kept after the moment it ended: the longest an access token
 * issued up to that moment stays valid (lifetime plus clock tolerance), and a minute for a token
 * being issued while the session ends.
 */
function keptForSeconds(app: App): number {
  return app.config.jwt.accessTokenTtlSeconds + app.config.jwt.clockToleranceSeconds + 60;
}

/** Ends these sessions of the user: their access tokens are refused from the next request on. */
async function endSessionsOnRow(app: App, userId: string, sessionIds: readonly string[], cutOff: Date | null): Promise<boolean> {
  const nowSeconds = Math.floor(app.now().getTime() / 1000);
  const until = nowSeconds + keptForSeconds(app);
  const updated = await updateSessionEnds(
    app.store.db,
    userId,
    (current) => serializeEndedSessions(withEndedSessions(current, sessionIds, until, nowSeconds)),
    cutOff,
  );
  return updated !== undefined;
}

/** Ends one session (refresh-token family): its refresh tokens and its access tokens. */
export async function endSession(app: App, userId: string, familyId: string): Promise<void> {
  await revokeRefreshFamily(app.store.db, familyId, app.now());
  await endSessionsOnRow(app, userId, [familyId], null);
}

/**
 * Ends every session of a user but `keep` (the caller's own, for changePassword). The order
 * matters: families are revoked first, then the ones with recent tokens are listed. A refresh
 * racing this either sees its family revoked when it checks after inserting its token (and is
 * refused, see accounts.ts `refresh`), or inserted that token before the revocation, and then the
 * listing finds it. The cut-off covers access tokens that name no session. False when there is no
 * such user.
 */
async function endAllSessions(app: App, userId: string, keep: string | null): Promise<boolean> {
  const { db } = app.store;
  const now = app.now();
  await revokeUserFamilies(db, userId, now, keep);
  const recent = await familiesIssuedSince(db, userId, new Date(now.getTime() - keptForSeconds(app) * 1000));
  return endSessionsOnRow(
    app,
    userId,
    recent.filter((id) => id !== keep),
    now,
  );
}

/**
 * Ends the session of `token` when it belongs to the viewer: its refresh tokens and the access
 * tokens issued with them. True when it did.
 */
export async function logout(app: App, viewer: Viewer, token: string, origin: RequestOrigin): Promise<boolean> {
  if (!isWellFormedRefreshToken(token)) return false;
  const stored = await findRefreshTokenByHash(app.store.db, sha256(token));
  if (stored === undefined || stored.userId !== viewer.id) return false;
  await endSession(app, viewer.id, stored.familyId);
  await audit(app, origin, 'session.logged_out', { subjectId: viewer.id, detail: { session: stored.familyId } });
  return true;
}

/** Ends every session of the viewer's account, the current one included. */
export async function logoutEverywhere(app: App, viewer: Viewer, origin: RequestOrigin): Promise<boolean> {
  await endAllSessions(app, viewer.id, null);
  await audit(app, origin, 'session.logged_out_everywhere', { subjectId: viewer.id });
  return true;
}

/** An ADMIN (or the command line) ends every session of a user. */
export async function endUserSessions(app: App, rawUserId: string, origin: RequestOrigin): Promise<boolean> {
  const id = validId(rawUserId, 'userId');
  if (!(await endAllSessions(app, id, null))) throw new NotFound('User');
  await audit(app, origin, 'user.sessions_ended', { subjectId: id });
  return true;
}

/**
 * Checks the viewer's current password through the login throttle: a wrong one is a failed login
 * for the account, so a stolen session cannot be used to guess the password faster than the login
 * form allows, and a locked account refuses even the right one.
 */
async function checkCurrentPassword(app: App, userId: string, password: string, origin: RequestOrigin): Promise<void> {
  const { db } = app.store;
  const found = await findLoginById(db, userId);
  if (found === undefined) throw new NotFound('User');
  // A provider-linked account may have no email: its failures count under its id.
  const accountKey = found.user.email === null ? `user:${found.user.id}` : normalizeEmail(found.user.email);
  const { perAccount, perAddress, windowSeconds } = app.config.loginFailures;
  const now = app.now();
  // Counted per IPV6_LIMIT_PREFIX network for IPv6 (src/client-address.ts); the audit rows keep the full address.
  const addressKey = limitKeyOf(origin.address, app.config.ipv6LimitPrefix);
  // Counted before the check, as login does, so parallel guesses see each other.
  const attempt = await recordLoginFailure(db, { accountKey, address: addressKey, now });
  const [account, accountDay, address] = await Promise.all([
    failuresForAccount(db, accountKey, new Date(now.getTime() - windowSeconds * 1000), attempt),
    failuresForAccount(db, accountKey, new Date(now.getTime() - BACK_OFF_HORIZON_MS), attempt),
    failuresForAddress(db, addressKey, new Date(now.getTime() - windowSeconds * 1000), attempt),
  ]);
  const until = lockedUntil(
    { perAccount, perAddress, windowMs: windowSeconds * 1000, maxLockMs: BACK_OFF_HORIZON_MS },
    { account, accountDay, address },
  );
  if (until !== null && until > now) {
    await forgetLoginFailure(db, attempt);
    await auditOncePerWindow(app, origin, 'login.rate_limited', windowSeconds * 1000, {
      subjectId: userId,
      detail: { email: accountKey, via: 'changePassword' },
    });
    throw new RateLimited((until.getTime() - now.getTime()) / 1000);
  }
  let matches: boolean;
  try {
    matches = await app.passwords.verify(password, found.passwordHash);
  } catch (error) {
    // The hasher refused (busy): nothing was guessed, so nothing counts.
    await forgetLoginFailure(db, attempt);
    throw error;
  }
  if (!matches) {
    await audit(app, origin, 'login.failed', { subjectId: userId, detail: { email: accountKey, via: 'changePassword' } });
    throw new InvalidInput('The current password is not correct.', 'currentPassword');
  }
  await clearAccountFailures(db, accountKey);
}

/**
 * Sets a new password after checking the current one, and ends every other session of the
 * account: whoever else held a session (perhaps the reason for the change) is signed out on their
 * next request. The caller's session, `currentSession`, keeps working; a caller whose access token
 * names no session (issued before sessions could be ended) is signed out too.
 */
export async function changePassword(
  app: App,
  viewer: Viewer,
  currentSession: string | null,
  input: { currentPassword: string; newPassword: string },
  origin: RequestOrigin,
): Promise<boolean> {
  const current = plausiblePassword(input.currentPassword, 'currentPassword');
  const next = validNewPassword(input.newPassword, 'newPassword');
  await checkCurrentPassword(app, viewer.id, current, origin);
  const passwordHash = await app.passwords.hash(next);
  if (!(await updatePasswordHash(app.store.db, viewer.id, passwordHash))) throw new NotFound('User');
  await endAllSessions(app, viewer.id, currentSession);
  await audit(app, origin, 'user.password_changed', { subjectId: viewer.id });
  return true;
}
