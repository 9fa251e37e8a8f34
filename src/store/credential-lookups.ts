import type SQLite from 'better-sqlite3';
import { type ApiKeyRecord, findApiKeyBySecretHash, KEY_COLUMNS, toApiKey } from './api-keys';
import type { Db } from './database';
import type { ApiKeyRow, UserRow } from './schema';
import { findUserById, USER_COLUMNS, toUser, type UserRecord } from './users';

/**
 * The two reads every authenticated request makes. They run on each request (never cached, so a
 * revocation or a disabled user counts at once on every instance), which makes their cost the
 * cost of authentication: on SQLite they are statements prepared once; elsewhere the repository
 * functions.
 */
export interface CredentialLookups {
  userById(id: string): Promise<UserRecord | undefined>;
  apiKeyBySecretHash(secretHash: string): Promise<{ key: ApiKeyRecord; owner: UserRecord } | undefined>;
}

export function kyselyLookups(db: Db): CredentialLookups {
  return {
    userById: (id) => findUserById(db, id),
    apiKeyBySecretHash: (hash) => findApiKeyBySecretHash(db, hash),
  };
}

type KeyWithOwnerRow = Pick<ApiKeyRow, (typeof KEY_COLUMNS)[number]> & {
  owner_email: string;
  owner_name: string | null;
  owner_role: UserRow['role'];
  owner_created_at: string;
  owner_disabled_at: string | null;
};

/**
 * Prepared once on the raw better-sqlite3 handle: a primary-key read then costs a few microseconds
 * instead of a query build and compile per call. These run between awaits on the same connection
 * as Kysely; gatehouse holds no transaction open across requests (only migrations, before serving).
 */
export function sqliteLookups(database: SQLite.Database): CredentialLookups {
  const userById = database.prepare<[string], Pick<UserRow, (typeof USER_COLUMNS)[number]>>(
    `select ${USER_COLUMNS.join(', ')} from users where id = ?`,
  );
  const keyByHash = database.prepare<[string], KeyWithOwnerRow>(
    `select ${KEY_COLUMNS.map((c) => `k.${c}`).join(', ')},
            u.email as owner_email, u.name as owner_name, u.role as owner_role,
            u.created_at as owner_created_at, u.disabled_at as owner_disabled_at
       from api_keys k join users u on u.id = k.user_id
      where k.secret_hash = ?`,
  );
  return {
    async userById(id) {
      const row = userById.get(id);
      return row && toUser(row);
    },
    async apiKeyBySecretHash(hash) {
      const row = keyByHash.get(hash);
      if (row === undefined) return undefined;
      return {
        key: toApiKey(row),
        owner: toUser({
          id: row.user_id,
          email: row.owner_email,
          name: row.owner_name,
          role: row.owner_role,
          created_at: row.owner_created_at,
          disabled_at: row.owner_disabled_at,
        }),
      };
    },
  };
}
