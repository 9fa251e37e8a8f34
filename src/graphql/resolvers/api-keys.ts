import { knownScopes } from '../../enforcement/scopes';
import * as apiKeys from '../../services/api-keys';
import type { Resolvers } from '../generated/resolvers-types';
import { originOf, signedIn } from './viewer';

export const apiKeyResolvers: Resolvers = {
  Query: {
    myApiKeys: (_parent, _args, context) => apiKeys.listApiKeys(context.app, signedIn(context).id),
    apiKeys: (_parent, args, context) => apiKeys.listAllApiKeys(context.app, args),
  },
  Mutation: {
    createApiKey: (_parent, args, context, info) =>
      apiKeys.createApiKey(context.app, signedIn(context), args, originOf(context), knownScopes(info.schema)),
    revokeApiKey: (_parent, args, context) => apiKeys.revokeApiKey(context.app, signedIn(context), args.id, originOf(context)),
    rotateApiKey: (_parent, args, context) =>
      apiKeys.rotateApiKey(context.app, signedIn(context), args.id, args.graceSeconds, originOf(context)),
  },
  ApiKey: {
    // A key that holds every scope shows every scope the schema knows.
    scopes: (key, _args, _context, info) => [...(key.scopes ?? knownScopes(info.schema))],
    owner: (key, _args, context) => context.loaders.userById.load(key.userId),
  },
};
