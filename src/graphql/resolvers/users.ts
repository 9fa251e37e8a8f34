import type { RoleCatalog } from '../../auth/role-catalog';
import { mostSeniorRole, SIGN_UP_ROLE } from '../../auth/roles';
import { ownedByCaller } from '../../enforcement/ownership';
import * as accounts from '../../services/accounts';
import * as sessions from '../../services/sessions';
import { listApiKeys } from '../../services/api-keys';
import * as users from '../../services/users';
import type { Resolvers, Role } from '../generated/resolvers-types';
import type { AuthPayloadModel } from '../models';
import { originOf, signedIn } from './viewer';

/** The user of an AuthPayload is the caller's own (`@owner` on User.email) although the request is anonymous. */
function asPayload(session: accounts.Session): AuthPayloadModel {
  return { ...session, user: ownedByCaller(session.user) };
}

export const userResolvers: Resolvers = {
  Query: {
    me: (_parent, _args, context) => {
      // The HTTP layer has read the viewer's row already; a hand-built test context may not have.
      const user = context.viewerUser ?? context.loaders.userById.load(signedIn(context).id);
      const { viewer } = context;
      if (viewer?.via !== 'external') return user;
      // A provider's user holds the roles its token maps to on this request, not the stored rows
      // (src/auth/authenticate.ts): `me` says what the caller may do now.
      const roles = grantedOf(context.app.roles, viewer.roles);
      return Promise.resolve(user).then((found) => (found != null ? { ...found, roles } : found));
    },
    users: (_parent, args, context) => users.listUsers(context.app, args),
    user: (_parent, args, context) => users.findUser(context.app, args.id),
  },
  Mutation: {
    signUp: async (_parent, args, context) => asPayload(await accounts.signUp(context.app, args, originOf(context))),
    login: async (_parent, args, context) => asPayload(await accounts.login(context.app, args, originOf(context))),
    refreshToken: async (_parent, args, context) => asPayload(await accounts.refresh(context.app, args.refreshToken, originOf(context))),
    logout: (_parent, args, context) => sessions.logout(context.app, signedIn(context), args.refreshToken, originOf(context)),
    logoutEverywhere: (_parent, _args, context) => sessions.logoutEverywhere(context.app, signedIn(context), originOf(context)),
    changePassword: (_parent, args, context) =>
      sessions.changePassword(context.app, signedIn(context), context.sessionId ?? null, args, originOf(context)),
    endUserSessions: (_parent, args, context) => sessions.endUserSessions(context.app, args.userId, originOf(context)),
    disableUser: (_parent, args, context) => users.setDisabled(context.app, args.userId, true, originOf(context)),
    enableUser: (_parent, args, context) => users.setDisabled(context.app, args.userId, false, originOf(context)),
    setUserRole: (_parent, args, context) => users.setUserRole(context.app, args.userId, args.role, originOf(context)),
    grantRole: (_parent, args, context) => users.grantRole(context.app, args.userId, args.role, originOf(context)),
    revokeRole: (_parent, args, context) => users.revokeRole(context.app, args.userId, args.role, originOf(context)),
  },
  User: {
    // A stored role the application no longer declares is not shown: the enum could not serialize it.
    roles: (user, _args, context) => context.app.roles.roles.filter((role) => user.roles.includes(role)) as Role[],
    role: (user, _args, context) => {
      const { roles } = context.app;
      // No declared role left at all: the account's sign-up role, which is what it would be given.
      // `as Role`: the application's enum Role may declare more values than gatehouse's generated type.
      return (mostSeniorRole(
        roles,
        roles.roles.filter((role) => user.roles.includes(role)),
      ) ?? SIGN_UP_ROLE) as Role;
    },
    apiKeys: (user, _args, context) => listApiKeys(context.app, user.id),
  },
};

/** The roles of an expanded set that no other role of it includes: what a token granted, as far as it shows. */
function grantedOf(catalog: RoleCatalog, expanded: readonly string[]): readonly string[] {
  return expanded.filter((role) => !expanded.some((other) => other !== role && catalog.expand(other).includes(role)));
}
