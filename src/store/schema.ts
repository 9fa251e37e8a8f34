import type { ColumnType, Generated, Insertable, Kysely, Selectable } from 'kysely';

/**
 * Timestamps are TEXT (ISO 8601, UTC) in SQLite and timestamptz in PostgreSQL. They are always
 * written as ISO strings; reads come back as strings (SQLite) or Dates (pg) and are normalised by
 * the repositories with `toDate`.
 */
export type Timestamp = ColumnType<Date | string, string, string>;
export type NullableTimestamp = ColumnType<Date | string | null, string | null | undefined, string | null>;

export interface UsersTable {
  id: string;
  /** Null for a provider-linked account whose token carried no verified, valid email (migration 2026-12-06T00-00_optional-email). */
  email: string | null;
  /** Lower-cased email; unique, so two accounts never differ only by case. Null with `email`. */
  email_normalized: string | null;
  name: string | null;
  password_hash: string;
  created_at: Timestamp;
  disabled_at: NullableTimestamp;
  /**
   * JSON object: id of an ended session (refresh-token family) → when its last access token
   * expires, in epoch seconds. Entries past that are pruned on every write. Null when empty.
   */
  ended_sessions: string | null;
  /** Access tokens that name no session and were issued before this are refused. */
  sessions_ended_at: NullableTimestamp;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: string;
  /** The first characters of the key, safe to show so a person can tell keys apart. */
  prefix: string;
  /** SHA-256 of the whole key, hex. The key itself is never stored. */
  secret_hash: string;
  created_at: Timestamp;
  expires_at: NullableTimestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  /** JSON array of the scope names the key holds; NULL: every scope (see migration 2026-11-30T20-00_api-key-scopes). */
  scopes: ColumnType<string | null, string | null | undefined, string | null>;
  /** SHA-256 of the secret rotateApiKey replaced, hex; null when never rotated (migration 2026-12-06T01-00_api-key-rotation). */
  previous_secret_hash: ColumnType<string | null, string | null | undefined, string | null>;
  /** When that former secret stops working. */
  previous_secret_expires_at: NullableTimestamp;
}

export interface RefreshTokensTable {
  id: string;
  user_id: string;
  /** Every token issued from one login shares a family; reuse of a retired one revokes the family. */
  family_id: string;
  token_hash: string;
  created_at: Timestamp;
  /** This token's own end: min(created + idle lifetime, family_expires_at). */
  expires_at: Timestamp;
  /** The end of the whole family (login + absolute lifetime). Null only for rows from before it existed. */
  family_expires_at: NullableTimestamp;
  used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface LoginFailuresTable {
  id: Generated<number>;
  /** Normalised email the attempt named, known account or not. */
  account_key: string;
  /** Client address the attempt came from. */
  address: string;
  failed_at: Timestamp;
}

export interface AuditEventsTable {
  id: string;
  occurred_at: Timestamp;
  /** e.g. `login.failed`; see AuditAction in store/audit-events.ts. */
  action: string;
  /** The user who acted; null for anonymous callers and the CLI. */
  actor_id: string | null;
  /** The user acted upon, when there is one. */
  subject_id: string | null;
  /** The client address of a request; null from the command line. */
  address: string | null;
  /** `request` or `cli`: set by the code path, never from anything a request carries. */
  source: ColumnType<AuditSource, AuditSource | undefined, AuditSource>;
  /** JSON object of non-secret facts (key prefix, old and new role, …). */
  detail: string | null;
}

export type AuditSource = 'request' | 'cli';

export interface SignupAttemptsTable {
  id: Generated<number>;
  address: string;
  attempted_at: Timestamp;
}

/** One role granted to a user (migration 2026-12-07T00-00_user-roles); the roles are the application's `enum Role`. */
export interface UserRolesTable {
  user_id: string;
  role: string;
  granted_at: Timestamp;
}

/** A provider account (issuer, `sub`) and the gatehouse user it acts as. */
export interface ExternalIdentitiesTable {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: Timestamp;
}

/** One published subscription event (src/store/event-log.ts). */
export interface EventLogTable {
  /** Increases in commit order (migration 2026-12-01T00-00_event-log). A bigint comes back from pg as a string. */
  id: ColumnType<number | string, never, never>;
  topic: string;
  subject: string;
  published_at: Timestamp;
}

/** An ES256 signing key (src/store/signing-keys.ts). */
export interface SigningKeysTable {
  /** The key's id in token headers and the JWKS: its RFC 7638 thumbprint. */
  kid: string;
  algorithm: string;
  /** The public key as a JWK (JSON). */
  public_jwk: string;
  /** The private key, encrypted with SIGNING_KEYS_SECRET (src/auth/key-encryption.ts). */
  private_key: string;
  created_at: Timestamp;
  /** When it starts signing; NULL: from created_at (migration 2026-12-06T10-00_signing-key-activation). */
  signs_from: NullableTimestamp;
  retired_at: NullableTimestamp;
}

/** An organization (tenant): migration 2026-12-07T01-00_organizations. */
export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: Timestamp;
}

/** A user's membership of an organization, with the one organization role they hold there. */
export interface MembershipsTable {
  organization_id: string;
  user_id: string;
  role: string;
  created_at: Timestamp;
}

export interface Database {
  organizations: OrganizationsTable;
  memberships: MembershipsTable;
  signing_keys: SigningKeysTable;
  event_log: EventLogTable;
  external_identities: ExternalIdentitiesTable;
  audit_events: AuditEventsTable;
  users: UsersTable;
  user_roles: UserRolesTable;
  api_keys: ApiKeysTable;
  refresh_tokens: RefreshTokensTable;
  login_failures: LoginFailuresTable;
  signup_attempts: SignupAttemptsTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type RefreshTokenRow = Selectable<RefreshTokensTable>;

export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

export function toDateOrNull(value: Date | string | null): Date | null {
  return value === null ? null : toDate(value);
}

/**
 * A Kysely handle on gatehouse's tables. Declared here, beside the tables, so that the repositories
 * and the store that opens the connection import it from a module that imports neither of them.
 */
export type Db = Kysely<Database>;

/** The database engines gatehouse runs on; migrations branch on it where their SQL differs. */
export type Dialect = 'sqlite' | 'postgres';
