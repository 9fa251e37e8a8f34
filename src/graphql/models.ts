import type { CALLER_OWNS } from '../enforcement/ownership';
import type { Session } from '../services/accounts';
import type { ApiKeyRecord } from '../store/api-keys';
import type { AuditEventRecord } from '../store/audit-events';
import type { Connection } from '../services/pagination';
import type { MembershipRecord } from '../store/organizations';
import type { UserRecord } from '../store/users';

/**
 * What a `User` field resolves from. The user an AuthPayload was issued to is marked as the caller's
 * own (ownedByCaller): the caller of signUp/login/refreshToken is still anonymous on that request,
 * yet may read their own email (`@owner` on User.email).
 */
export type UserModel = UserRecord & { readonly [CALLER_OWNS]?: true };
export type AuthPayloadModel = Omit<Session, 'user'> & { readonly user: UserModel };
export type UserConnectionModel = Connection<UserModel>;
export type AuditEventConnectionModel = Connection<AuditEventRecord>;
export type ApiKeyConnectionModel = Connection<ApiKeyRecord>;
export type MembershipConnectionModel = Connection<MembershipRecord>;
export type { CreatedApiKey as CreatedApiKeyModel } from '../services/api-keys';
