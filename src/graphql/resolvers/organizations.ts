import { OWNER } from '../../auth/organization-roles';
import { callerRoleIn, joinedByCaller, organizationRolesIn } from '../../enforcement/organizations';
import * as organizations from '../../services/organizations';
import type { OrganizationRole, Resolvers } from '../generated/resolvers-types';
import { originOf, signedIn } from './viewer';

// Who may call each field is declared in schema/organizations.graphql (@auth, @inOrganization) and
// decided before these run; src/services/organizations.ts decides what depends on the change.
export const organizationResolvers: Resolvers = {
  Query: {
    myOrganizations: (_parent, _args, context) => organizations.myOrganizations(context.app, signedIn(context)),
    organization: (_parent, args, context) => organizations.organization(context.app, args.id),
  },
  Mutation: {
    // The viewer was read before the organization existed: the one returned is marked as its creator's.
    createOrganization: async (_parent, args, context) => {
      const created = await organizations.createOrganization(context.app, signedIn(context), args, originOf(context));
      return joinedByCaller(created, created.id, OWNER);
    },
    addMember: (_parent, args, context, info) =>
      organizations.addMember(context.app, signedIn(context), args, organizationRolesIn(info.schema), originOf(context)),
    setMemberRole: (_parent, args, context, info) =>
      organizations.setMemberRole(context.app, signedIn(context), args, organizationRolesIn(info.schema), originOf(context)),
    removeMember: (_parent, args, context, info) =>
      organizations.removeMember(context.app, signedIn(context), args, organizationRolesIn(info.schema), originOf(context)),
  },
  Organization: {
    myRole: (organization, _args, context) =>
      (callerRoleIn(context.viewer, organization.id, organization) as OrganizationRole | undefined) ?? null,
    members: (organization, args, context) => organizations.members(context.app, organization.id, args),
  },
  Membership: {
    user: async (membership, _args, context) => {
      const user = await context.loaders.userById.load(membership.userId);
      if (user === null) throw new Error(`Membership of a missing user ${membership.userId}`);
      return user;
    },
    role: (membership) => membership.role as OrganizationRole,
  },
};
