import type { Migration } from 'kysely';
import type { Dialect } from '../schema';
import { initial } from './2026-11-28T00-00_initial';
import { auditLog } from './2026-11-28T01-00_audit-log';
import { refreshFamilyExpiry } from './2026-11-28T02-00_refresh-family-expiry';
import { auditAddressIndex } from './2026-11-28T03-00_audit-address-index';
import { endedSessions } from './2026-11-29T00-00_ended-sessions';
import { auditSource } from './2026-11-29T01-00_audit-source';
import { signupAttempts } from './2026-11-29T02-00_signup-attempts';
import { credentialNotify } from './2026-11-29T03-00_credential-notify';
import { externalIdentities } from './2026-11-30T13-00_external-identities';
import { apiKeyScopes } from './2026-11-30T20-00_api-key-scopes';
import { eventLog } from './2026-12-01T00-00_event-log';
import { optionalEmail } from './2026-12-06T00-00_optional-email';
import { signingKeys } from './2026-12-06T00-00_signing-keys';
import { apiKeyRotation } from './2026-12-06T01-00_api-key-rotation';
import { signingKeyActivation } from './2026-12-06T10-00_signing-key-activation';
import { userRoles } from './2026-12-07T00-00_user-roles';
import { organizations } from './2026-12-07T01-00_organizations';

/**
 * Every migration, by name, for one dialect. Names sort by time; a released migration is never
 * edited: changes go into a new one. The migrator refuses a database that has run a migration not
 * listed here (one written by a newer gatehouse).
 */
export function migrationsFor(dialect: Dialect): Readonly<Record<string, Migration>> {
  return {
    '2026-11-28T00-00_initial': initial(dialect),
    '2026-11-28T01-00_audit-log': auditLog(dialect),
    '2026-11-28T02-00_refresh-family-expiry': refreshFamilyExpiry(dialect),
    '2026-11-28T03-00_audit-address-index': auditAddressIndex(dialect),
    '2026-11-29T00-00_ended-sessions': endedSessions(dialect),
    '2026-11-29T01-00_audit-source': auditSource(dialect),
    '2026-11-29T02-00_signup-attempts': signupAttempts(dialect),
    '2026-11-29T03-00_credential-notify': credentialNotify(dialect),
    '2026-11-30T13-00_external-identities': externalIdentities(dialect),
    '2026-11-30T20-00_api-key-scopes': apiKeyScopes(dialect),
    '2026-12-01T00-00_event-log': eventLog(dialect),
    '2026-12-06T00-00_optional-email': optionalEmail(dialect),
    '2026-12-06T00-00_signing-keys': signingKeys(dialect),
    '2026-12-06T01-00_api-key-rotation': apiKeyRotation(dialect),
    '2026-12-06T10-00_signing-key-activation': signingKeyActivation(dialect),
    '2026-12-07T00-00_user-roles': userRoles(dialect),
    '2026-12-07T01-00_organizations': organizations(dialect),
  };
}
