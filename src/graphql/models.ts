import type { Session } from '../services/accounts';
import type { AuditEventRecord } from '../store/audit-events';
import type { Connection } from '../services/pagination';
import type { UserRecord } from '../store/users';

/**
 * What a `User` field resolves from. `self` marks the user an AuthPayload was issued to: the caller
 * of signUp/login/refreshToken is still anonymous on that request, yet may read their own email.
 */
export type UserModel = UserRecord & { readonly self?: true };
export type AuthPayloadModel = Omit<Session, 'user'> & { readonly user: UserModel };
export type UserConnectionModel = Connection<UserModel>;
export type AuditEventConnectionModel = Connection<AuditEventRecord>;
export type { CreatedApiKey as CreatedApiKeyModel } from '../services/api-keys';
