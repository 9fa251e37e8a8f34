// The policies gatehouse's own schema names in `@policy` (schema/*.graphql), so that its rules which
// depend on argument values rather than on who supplies an argument are decided where the auth map,
// `gatehouse explain` and the mutation gate see them, like an application's. Merged over the
// application's by src/graphql/schema.ts; the `gatehouse.` prefix is reserved for them. Each asks
// the service's own decision, which the service asks again for callers that are not GraphQL requests
// (the admin CLI, the test kit).
//
// - `gatehouse.apiKeyRoles` (createApiKey): the credential holds every role its account holds. A key
//   acts with its owner's stored roles, so a credential holding less (an identity provider's token
//   for a user an ADMIN promoted) must not mint a secret that acts with more.
// - `gatehouse.apiKeyScopes` (createApiKey): every scope asked for that the schema knows is held by
//   the credential. A scope the schema does not know is the resolver's BAD_USER_INPUT (a mistake).
// - `gatehouse.apiKeyRotation` (rotateApiKey): the same as apiKeyRoles, for the caller's own key.
// - `gatehouse.organizationOwnerGrant` (addMember, setMemberRole): only an OWNER gives OWNER.
// - `gatehouse.memberRemoval` (removeMember): another member only by the organization's ADMIN.
import type { GraphQLSchema } from 'graphql';
import type { Viewer } from '../auth/viewer';
import { MEMBER } from '../auth/organization-roles';
import { organizationRolesIn } from '../enforcement/organizations';
import type { PolicyFunction, PolicyInput, Policies } from '../enforcement/policies';
import { knownScopes } from '../enforcement/scopes';
import { mayRotateAsOwner, rolesTheCredentialLacks } from '../services/api-keys';
import { mayGrantRole, mayRemoveMember } from '../services/organizations';
import { validId } from '../services/validation';
import type { GraphQLContext } from './context';

/** The prefix of gatehouse's own policy names; an application's may not use it. */
export const ACCOUNT_POLICY_PREFIX = 'gatehouse.';

/** An id argument in its stored form, or null when it is not a valid id (the resolver answers that). */
function storedId(raw: unknown): string | null {
  try {
    return typeof raw === 'string' ? validId(raw) : null;
  } catch {
    return null;
  }
}

/** A policy for signed-in callers only, typed for gatehouse's context. */
function signedIn(decide: (viewer: Viewer, input: PolicyInput<unknown, GraphQLContext>) => boolean | Promise<boolean>): PolicyFunction {
  return (input) => (input.viewer === null ? false : decide(input.viewer, input as PolicyInput<unknown, GraphQLContext>));
}

/**
 * gatehouse's own policies for `schema()`: the served schema's source, read when first needed, so
 * that a schema the directives refuse is refused with their message, not one of these.
 */
export function accountPolicies(schema: () => GraphQLSchema): Policies {
  let known: readonly string[] | undefined;
  const roles = () => organizationRolesIn(schema());
  return {
    'gatehouse.apiKeyRoles': signedIn(async (viewer, { context }) => (await rolesTheCredentialLacks(context.app, viewer)).length === 0),
    'gatehouse.apiKeyScopes': signedIn((viewer, { args }) => {
      const requested = args['scopes'] as readonly string[] | null | undefined;
      const held = viewer.scopes;
      if (requested === null || requested === undefined || held === undefined) return true;
      const schemaScopes = (known ??= knownScopes(schema()));
      return requested.every((scope) => !schemaScopes.includes(scope) || held.includes(scope));
    }),
    'gatehouse.apiKeyRotation': signedIn((viewer, { args, context }) => mayRotateAsOwner(context.app, viewer, String(args['id']))),
    'gatehouse.organizationOwnerGrant': signedIn((viewer, { args }) => {
      const organizationId = storedId(args['organizationId']);
      return organizationId === null || mayGrantRole(viewer, organizationId, String(args['role'] ?? MEMBER), roles());
    }),
    'gatehouse.memberRemoval': signedIn((viewer, { args }) => {
      const organizationId = storedId(args['organizationId']);
      const userId = storedId(args['userId']);
      return organizationId === null || userId === null || mayRemoveMember(viewer, organizationId, userId, roles());
    }),
  };
}

/** Refuses application policies named in gatehouse's reserved prefix (thrown at start-up). */
export function assertNoReservedPolicyNames(policies: Policies | undefined): void {
  const taken = Object.keys(policies ?? {}).filter((name) => name.startsWith(ACCOUNT_POLICY_PREFIX));
  if (taken.length > 0)
    throw new TypeError(
      `Policy names beginning with "${ACCOUNT_POLICY_PREFIX}" are gatehouse's own: rename ${taken.map((n) => `"${n}"`).join(', ')}.`,
    );
}
