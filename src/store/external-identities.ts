import { SIGN_UP_ROLE } from '../auth/roles';
import { insertAuditEvent } from './audit-events';
import type { Db } from './database';
import { isUniqueViolation } from './failures';
import { newId } from './ids';
import { insertUser } from './users';

/**
 * What an external user's password hash column holds: not in the stored-hash format, so no
 * password ever matches it (src/auth/passwords.ts). Such a user signs in only through its provider.
 */
export const NO_PASSWORD = '!external';

export async function findLinkedUserId(db: Db, issuer: string, subject: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('external_identities')
    .select('user_id')
    .where('issuer', '=', issuer)
    .where('subject', '=', subject)
    .executeTakeFirst();
  return row?.user_id;
}

/**
 * The user linked to (issuer, subject), created with the link on first use. Safe across
 * instances: the link's primary key lets one insert win; the loser's transaction (its user row
 * too) rolls back and it reads the winner's link.
 *
 * `email` (a verified, valid claim, or null: src/auth/external/tokens.ts) is stored only when no
 * other account holds it; otherwise the user is linked without one. An email is never a reason to
 * link to an existing user, which would let whoever controls a provider account's email claim
 * take over a local account; and no address is ever made up, since one that can be predicted can
 * be signed up first.
 */
export async function linkExternalUser(
  db: Db,
  identity: { issuer: string; subject: string; email: string | null },
  now: Date,
): Promise<string> {
  const existing = await findLinkedUserId(db, identity.issuer, identity.subject);
  if (existing !== undefined) return existing;
  const emails = identity.email === null ? [null] : [identity.email, null];
  for (const email of emails) {
    try {
      return await db.transaction().execute(async (trx) => {
        const user = await insertUser(trx, {
          id: newId(now.getTime()),
          email,
          name: null,
          passwordHash: NO_PASSWORD,
          roles: [SIGN_UP_ROLE],
          now,
        });
        await trx
          .insertInto('external_identities')
          .values({ issuer: identity.issuer, subject: identity.subject, user_id: user.id, created_at: now.toISOString() })
          .execute();
        // In the link's transaction: exactly one `user.linked` per linked user, even when several
        // instances race to link the same subject (the losers' rows roll back with their link).
        await insertAuditEvent(trx, {
          id: newId(now.getTime()),
          createdAt: now,
          action: 'user.linked',
          actorId: user.id,
          subjectId: user.id,
          address: null,
          source: 'request',
          detail: { issuer: identity.issuer, subject: identity.subject },
        });
        return user.id;
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = await findLinkedUserId(db, identity.issuer, identity.subject);
      if (winner !== undefined) return winner;
      // The email is another account's: link without one.
    }
  }
  throw new Error('linkExternalUser: could not link without an email');
}
