import type { Resolvers } from '../generated/resolvers-types';
import { apiKeyResolvers } from './api-keys';
import { auditResolvers } from './audit';
import { authMapResolvers } from './auth-map';
import { withDomainErrorsAnswered } from './domain-errors';
import { organizationResolvers } from './organizations';
import { DateTime } from './scalars';
import { userResolvers } from './users';

/** gatehouse's resolvers; a domain error any of them meets is answered as src/graphql/errors.ts says. */
export const resolvers: Resolvers[] = (
  [
    {
      DateTime,
      Query: { publicMessage: () => 'Welcome to gatehouse. Sign up, log in, and call `me` with your token.' },
    },
    userResolvers,
    apiKeyResolvers,
    auditResolvers,
    authMapResolvers,
    organizationResolvers,
  ] satisfies Resolvers[]
).map(withDomainErrorsAnswered);
