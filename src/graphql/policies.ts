// The policies gatehouse's own schema names in `@policy` (schema/api-keys.graphql), so that its rules
// which depend on values rather than on who supplies an argument are decided where the auth map,
// `gatehouse explain` and the mutation gate see them, like an application's. Merged over the
// application's by src/graphql/schema.ts; the `gatehouse.` prefix is reserved for them.
//
// - `gatehouse.apiKeyRoles`: the caller's credential holds every role its account holds. A key acts
//   with its owner's stored roles, so a credential holding less (an identity provider's token for a
//   user an ADMIN promoted) must not mint a secret that acts with more.
// - `gatehouse.apiKeyScopes`: every scope asked for that the schema knows is held by the credential.
//   A scope the schema does not know is the resolver's BAD_USER_INPUT (a mistake, not a denial).
import type { PolicyFunction, PolicyInput, Policies } from '../enforcement/policies';
import { rolesTheCredentialLacks } from '../services/api-keys';
import type { GraphQLContext } from './context';

/** The prefix of gatehouse's own policy names; an application's may not use it. */
export const ACCOUNT_POLICY_PREFIX = 'gatehouse.';

const apiKeyRoles: PolicyFunction = async ({ viewer, context }: PolicyInput<unknown, GraphQLContext>) => {
  if (viewer === null) return false;
  return (await rolesTheCredentialLacks(context.app, viewer)).length === 0;
};

/** `gatehouse.apiKeyScopes` for a schema whose `@requiresScopes` name `schemaScopes()` (read at the first call). */
function apiKeyScopes(schemaScopes: () => readonly string[]): PolicyFunction {
  let known: readonly string[] | undefined;
  return ({ viewer, args }) => {
    if (viewer === null) return false;
    const requested = args['scopes'] as readonly string[] | null | undefined;
    const held = viewer.scopes;
    if (requested === null || requested === undefined || held === undefined) return true;
    known ??= schemaScopes();
    return requested.every((scope) => !known!.includes(scope) || held.includes(scope));
  };
}

/**
 * gatehouse's own policies for a schema whose `@requiresScopes` name `schemaScopes()`: a function,
 * read when first needed, so that a schema the directives refuse is refused with their message.
 */
export function accountPolicies(schemaScopes: () => readonly string[]): Policies {
  return { 'gatehouse.apiKeyRoles': apiKeyRoles, 'gatehouse.apiKeyScopes': apiKeyScopes(schemaScopes) };
}

/** Refuses application policies named in gatehouse's reserved prefix (thrown at start-up). */
export function assertNoReservedPolicyNames(policies: Policies | undefined): void {
  const taken = Object.keys(policies ?? {}).filter((name) => name.startsWith(ACCOUNT_POLICY_PREFIX));
  if (taken.length > 0)
    throw new TypeError(
      `Policy names beginning with "${ACCOUNT_POLICY_PREFIX}" are gatehouse's own: rename ${taken.map((n) => `"${n}"`).join(', ')}.`,
    );
}
