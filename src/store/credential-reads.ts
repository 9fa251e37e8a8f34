// The two reads behind every credential lookup, per dialect: a user by id, and an API key (found
// by its current or its previous secret) with its owner, in one round trip. What the lookups do
// with them, and how fresh they are, is src/store/credential-lookups.ts's rule.
import type SQLite from 'better-sqlite3';
import type { Pool } from 'pg';
import { KEY_COLUMNS, toApiKey } from './api-keys';
import type { CredentialReads, KeyWithOwner } from './credential-lookups';
import type { ApiKeyRow } from './schema';
import { rolesSql, USER_COLUMNS, type UserColumns as StoredUserColumns, toUser, type UserRecord } from './users';

type UserColumns = StoredUserColumns & { organizations?: unknown };
type KeyColumns = Pick<ApiKeyRow, (typeof KEY_COLUMNS)[number]>;
/** A key row joined with its owner's columns, each prefixed `owner_`. */
type KeyWithOwnerRow = KeyColumns & Record<string, unknown>;

/**
 * The user's memberships (migration 2026-12-07T01-00_organizations) as one JSON object, organization
 * id → role, read in the same statement as the user: `@inOrganization` needs them on every request,
 * and being part of the user's row in the cache they are exactly as fresh as its role.
 */
const MEMBERSHIPS = {
  sqlite: (user: string) => `(select json_group_object(organization_id, role) from memberships where user_id = ${user})`,
  postgres: (user: string) =>
    `(select coalesce(json_object_agg(organization_id, role), '{}')::text from memberships where user_id = ${user})`,
};
type Dialect = keyof typeof MEMBERSHIPS;

/** The user's row, its granted roles (user_roles) and memberships, in one statement: one read. */
const userSql = (dialect: Dialect) =>
  `select ${USER_COLUMNS.join(', ')}, ${rolesSql('users')} as roles, ${MEMBERSHIPS[dialect]('users.id')} as organizations from users where id = `;
/** Completed with the hash parameter twice: a key is found by its current secret or its previous one. */
const keySql = (
  dialect: Dialect,
) => `select ${KEY_COLUMNS.map((c) => `k.${c}`).join(', ')}, k.secret_hash, ${USER_COLUMNS.map((c) => `u.${c} as owner_${c}`).join(', ')},
        ${rolesSql('u')} as owner_roles, ${MEMBERSHIPS[dialect]('u.id')} as owner_organizations
   from api_keys k join users u on u.id = k.user_id
  where `;

/** The memberships column: organization id → role, frozen (a viewer shares it). */
function organizationsOf(json: unknown): Readonly<Record<string, string>> {
  const parsed = typeof json === 'string' && json !== '{}' ? (JSON.parse(json) as Record<string, string>) : {};
  return Object.freeze(Object.assign(Object.create(null) as Record<string, string>, parsed));
}

function withOrganizations(user: UserRecord, json: unknown): UserRecord {
  return { ...user, organizations: organizationsOf(json) };
}
const BY_EITHER_SECRET = (p1: string, p2: string) => `k.secret_hash = ${p1} or k.previous_secret_hash = ${p2}`;

function keyWithOwner(row: KeyWithOwnerRow, hash: string): KeyWithOwner {
  const owner = Object.fromEntries([...USER_COLUMNS, 'roles'].map((c) => [c, row[`owner_${c}`]])) as UserColumns;
  return {
    key: toApiKey(row),
    owner: withOrganizations(toUser(owner), row['owner_organizations']),
    matched: row['secret_hash'] === hash ? 'current' : 'previous',
  };
}

/**
 * SQLite: statements prepared once, on first use (they need the tables, so after migrations). A
 * primary-key read then costs a few microseconds instead of a Kysely query build and compile.
 */
export function sqliteReads(database: SQLite.Database): CredentialReads {
  let statements: { user: SQLite.Statement<[string], UserColumns>; key: SQLite.Statement<[string, string], KeyWithOwnerRow> } | undefined;
  const prepared = () =>
    (statements ??= {
      user: database.prepare<[string], UserColumns>(`${userSql('sqlite')}?`),
      key: database.prepare<[string, string], KeyWithOwnerRow>(`${keySql('sqlite')}${BY_EITHER_SECRET('?', '?')}`),
    });
  return {
    async userById(id) {
      const row = prepared().user.get(id);
      return row && withOrganizations(toUser(row), row.organizations);
    },
    async apiKeyBySecretHash(hash) {
      const row = prepared().key.get(hash, hash);
      return row && keyWithOwner(row, hash);
    },
  };
}

/** PostgreSQL: named statements, which pg prepares once per pooled connection. */
export function postgresReads(pool: Pool): CredentialReads {
  const user = { name: 'gatehouse_user_by_id_v2', text: `${userSql('postgres')}$1` };
  const key = { name: 'gatehouse_key_by_either_hash_v2', text: `${keySql('postgres')}${BY_EITHER_SECRET('$1', '$1')}` };
  return {
    async userById(id) {
      const result = await pool.query<UserColumns>({ ...user, values: [id] });
      const row = result.rows[0];
      return row && withOrganizations(toUser(row), row.organizations);
    },
    async apiKeyBySecretHash(hash) {
      const result = await pool.query<KeyWithOwnerRow>({ ...key, values: [hash] });
      const row = result.rows[0];
      return row && keyWithOwner(row, hash);
    },
  };
}
