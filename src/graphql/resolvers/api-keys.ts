import * as apiKeys from '../../services/api-keys';
import type { Resolvers } from '../generated/resolvers-types';
import { originOf, signedIn } from './viewer';

export const apiKeyResolvers: Resolvers = {
  Query: {
    myApiKeys: (_parent, _args, context) => apiKeys.listApiKeys(context.app, signedIn(context).id),
  },
  Mutation: {
    createApiKey: (_parent, args, context) => apiKeys.createApiKey(context.app, signedIn(context), args, originOf(context)),
    revokeApiKey: (_parent, args, context) => apiKeys.revokeApiKey(context.app, signedIn(context), args.id, originOf(context)),
  },
};
