// The two reads behind every credential lookup, per dialect: a user by id, and an API key (found
// by its current or its previous secret) with its owner, in one round trip. What the lookups do
// with them, and how fresh they are, is src/store/credential-lookups.ts's rule.
import type SQLite from 'better-sqlite3';
import type { Pool } from 'pg';
import { KEY_COLUMNS, toApiKey } from './api-keys';
import type { CredentialReads, KeyWithOwner } from './credential-lookups';
import type { ApiKeyRow } from './schema';
import { rolesSql, USER_COLUMNS, type UserColumns, toUser } from './users';

type KeyColumns = Pick<ApiKeyRow, (typeof KEY_COLUMNS)[number]>;
/** A key row joined with its owner's columns, each prefixed `owner_`. */
type KeyWithOwnerRow = KeyColumns & Record<string, unknown>;

/** The user's row and its granted roles (user_roles), in the same statement: one read. */
const USER_SQL = `select ${USER_COLUMNS.join(', ')}, ${rolesSql('users')} as roles from users where id = `;
/** Completed with the hash parameter twice: a key is found by its current secret or its previous one. */
const KEY_SQL = `select ${KEY_COLUMNS.map((c) => `k.${c}`).join(', ')}, k.secret_hash, ${USER_COLUMNS.map((c) => `u.${c} as owner_${c}`).join(', ')}, ${rolesSql('u')} as owner_roles
   from api_keys k join users u on u.id = k.user_id
  where `;
const BY_EITHER_SECRET = (p1: string, p2: string) => `k.secret_hash = ${p1} or k.previous_secret_hash = ${p2}`;

function keyWithOwner(row: KeyWithOwnerRow, hash: string): KeyWithOwner {
  const owner = Object.fromEntries([...USER_COLUMNS, 'roles'].map((c) => [c, row[`owner_${c}`]])) as UserColumns;
  return { key: toApiKey(row), owner: toUser(owner), matched: row['secret_hash'] === hash ? 'current' : 'previous' };
}

/**
 * SQLite: statements prepared once, on first use (they need the tables, so after migrations). A
 * primary-key read then costs a few microseconds instead of a Kysely query build and compile.
 */
export function sqliteReads(database: SQLite.Database): CredentialReads {
  let statements: { user: SQLite.Statement<[string], UserColumns>; key: SQLite.Statement<[string, string], KeyWithOwnerRow> } | undefined;
  const prepared = () =>
    (statements ??= {
      user: database.prepare<[string], UserColumns>(`${USER_SQL}?`),
      key: database.prepare<[string, string], KeyWithOwnerRow>(`${KEY_SQL}${BY_EITHER_SECRET('?', '?')}`),
    });
  return {
    async userById(id) {
      const row = prepared().user.get(id);
      return row && toUser(row);
    },
    async apiKeyBySecretHash(hash) {
      const row = prepared().key.get(hash, hash);
      return row && keyWithOwner(row, hash);
    },
  };
}

/** PostgreSQL: named statements, which pg prepares once per pooled connection. */
export function postgresReads(pool: Pool): CredentialReads {
  const user = { name: 'gatehouse_user_by_id', text: `${USER_SQL}$1` };
  const key = { name: 'gatehouse_key_by_either_hash', text: `${KEY_SQL}${BY_EITHER_SECRET('$1', '$1')}` };
  return {
    async userById(id) {
      const result = await pool.query<UserColumns>({ ...user, values: [id] });
      const row = result.rows[0];
      return row && toUser(row);
    },
    async apiKeyBySecretHash(hash) {
      const result = await pool.query<KeyWithOwnerRow>({ ...key, values: [hash] });
      const row = result.rows[0];
      return row && keyWithOwner(row, hash);
    },
  };
}
