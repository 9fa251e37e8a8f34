import type { App } from '../app';
import { TOP_ROLE } from '../auth/roles';
import { InvalidInput, NotFound } from '../errors';
import {
  countUsers,
  findUserById,
  grantUserRole,
  listUsers as listStoredUsers,
  type RoleChange,
  revokeUserRole,
  setUserDisabled,
  updateUserRole,
  type UserRecord,
} from '../store/users';
import { type Connection, decodeCursor, toConnection } from './pagination';
import { audit, type RequestOrigin } from './audit';
import { LIMITS, optionalText, validId, validPageSize } from './validation';

/**
 * Users, oldest first; `email`: only those whose email contains this text, compared ignoring case
 * (1 to 254 characters of plain text, so `%` and `_` are literal).
 */
export async function listUsers(
  app: App,
  args: { first?: number | null; after?: string | null; email?: string | null },
): Promise<Connection<UserRecord>> {
  const limit = validPageSize(args.first);
  const after = decodeCursor(args.after);
  const email = optionalText(args.email, LIMITS.emailMax, 'email')?.toLowerCase() ?? null;
  const [rows, total] = await Promise.all([listStoredUsers(app.store.db, limit + 1, after, email), countUsers(app.store.db, email)]);
  return toConnection(rows, limit, total);
}

/** One user by id; null when there is none. */
export async function findUser(app: App, rawId: string): Promise<UserRecord | null> {
  return (await findUserById(app.store.db, validId(rawId, 'id'))) ?? null;
}

/** `role` if the application declares it (its `enum Role`), else InvalidInput naming the declared ones. */
export function declaredRole(app: App, role: string, argument = 'role'): string {
  if (!app.roles.roles.includes(role)) throw new InvalidInput(`Unknown role; the roles are ${app.roles.roles.join(', ')}.`, argument);
  return role;
}

/**
 * Sets a user's roles to exactly `role`. The last active ADMIN cannot lose ADMIN, not even by
 * themself. Audited when something changed.
 */
export async function setUserRole(app: App, rawUserId: string, rawRole: string, origin: RequestOrigin): Promise<UserRecord> {
  const id = validId(rawUserId, 'userId');
  const role = declaredRole(app, rawRole);
  const result = await updateUserRole(app.store.db, id, role, app.now());
  const user = changed(result);
  if (result.status === 'changed') {
    const from = app.roles.senior(result.before) ?? result.before.join(',');
    await audit(app, origin, 'user.role_changed', { subjectId: id, detail: { from, to: role, roles: user.roles.join(',') } });
  }
  return user;
}

/** Grants a user one more role (nothing happens when it holds it already). Audited when granted. */
export async function grantRole(app: App, rawUserId: string, rawRole: string, origin: RequestOrigin): Promise<UserRecord> {
  const id = validId(rawUserId, 'userId');
  const role = declaredRole(app, rawRole);
  const result = await grantUserRole(app.store.db, id, role, app.now());
  const user = changed(result);
  if (result.status === 'changed')
    await audit(app, origin, 'user.role_granted', { subjectId: id, detail: { role, roles: user.roles.join(',') } });
  return user;
}

/**
 * Takes one role from a user (nothing happens when it does not hold it). The last active ADMIN keeps
 * ADMIN, and every user keeps at least one role. Audited when revoked.
 */
export async function revokeRole(app: App, rawUserId: string, rawRole: string, origin: RequestOrigin): Promise<UserRecord> {
  const id = validId(rawUserId, 'userId');
  const role = declaredRole(app, rawRole);
  const result = await revokeUserRole(app.store.db, id, role);
  const user = changed(result);
  if (result.status === 'changed')
    await audit(app, origin, 'user.role_revoked', { subjectId: id, detail: { role, roles: user.roles.join(',') } });
  return user;
}

/** The user a role change left, or the refusal it met as a typed error. */
function changed(result: RoleChange): UserRecord {
  switch (result.status) {
    case 'changed':
    case 'unchanged':
      return result.user;
    case 'not-found':
      throw new NotFound('User');
    case 'last-admin':
      throw new InvalidInput(`This is the last ${TOP_ROLE}; make another user ${TOP_ROLE} first.`, 'role');
    case 'last-role':
      throw new InvalidInput('This is the only role the user holds; a user keeps at least one (setUserRole replaces it).', 'role');
  }
}

/** Disables a user (their tokens and keys stop working on the next request) or enables them again. */
export async function setDisabled(app: App, rawUserId: string, disabled: boolean, origin: RequestOrigin): Promise<UserRecord> {
  const id = validId(rawUserId, 'userId');
  const result = await setUserDisabled(app.store.db, id, disabled ? app.now() : null);
  switch (result.status) {
    case 'changed':
      await audit(app, origin, disabled ? 'user.disabled' : 'user.enabled', { subjectId: id });
      return result.user;
    case 'not-found':
      throw new NotFound('User');
    case 'last-admin':
      throw new InvalidInput('This is the last active ADMIN; make another user ADMIN first.', 'userId');
  }
}
