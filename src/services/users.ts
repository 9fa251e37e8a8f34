import type { App } from '../app';
import { InvalidInput, NotFound } from '../errors';
import type { StoredRole } from '../store/schema';
import { countUsers, findUserById, listUsers as listStoredUsers, setUserDisabled, updateUserRole, type UserRecord } from '../store/users';
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

/** Changes a user's role. The last active ADMIN cannot be demoted, not even by themself. */
export async function setUserRole(app: App, rawUserId: string, role: StoredRole, origin: RequestOrigin): Promise<UserRecord> {
  const id = validId(rawUserId, 'userId');
  const before = await findUserById(app.store.db, id);
  const result = await updateUserRole(app.store.db, id, role);
  switch (result.status) {
    case 'changed':
      if (before?.role !== role)
        await audit(app, origin, 'user.role_changed', { subjectId: id, detail: { from: before?.role ?? null, to: role } });
      return result.user;
    case 'not-found':
      throw new NotFound('User');
    case 'last-admin':
      throw new InvalidInput('This is the last ADMIN; make another user ADMIN first.', 'role');
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
