import type { Resolvers } from '../generated/resolvers-types';
import { apiKeyResolvers } from './api-keys';
import { auditResolvers } from './audit';
import { DateTime } from './scalars';
import { userResolvers } from './users';

export const resolvers: Resolvers[] = [
  {
    DateTime,
    Query: { publicMessage: () => 'Welcome to gatehouse. Sign up, log in, and call `me` with your token.' },
  },
  userResolvers,
  apiKeyResolvers,
  auditResolvers,
];
