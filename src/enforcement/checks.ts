// Turns a field's requirement into its decision: given a viewer (and, for `@owner`, the object), the
// denial to raise or null. Compiled once per schema build, so the per-call check allocates nothing
// for a viewer allowed through. Whether a viewer holds a role is the schema's RoleCatalog's decision, its
// scopes scopes.ts's, owning an object ownership.ts's; the denials come from denials.ts.
import type { GraphQLError } from 'graphql';
import type { RoleCatalog } from '../auth/role-catalog';
import type { CredentialKind, Viewer } from '../auth/viewer';
import { Denial, forbidden, unauthenticated } from './denials';
import { ownershipDenial, passesOwnership } from './ownership';
import { combineRequirements, type FieldRequirement, type RequirementSource, type RoleChoice } from './requirements';
import { holdsScopes } from './scopes';

type Decision = (viewer: Viewer | null) => GraphQLError | null;

/**
 * Builds the decision for one requirement: given a viewer, the error to raise or null. The error
 * is a Denial naming the field and the rule that refused the viewer: the first of the requirement's
 * sources that, alone, would refuse it (found only once a viewer is refused, so it costs an allowed
 * caller nothing, and holds for every rule kind the decision below knows).
 * Built once per schema build; the per-call check allocates nothing for viewers whose roles were
 * expanded when they were built (src/auth/authenticate.ts).
 */
export function compileCheck(
  requirement: FieldRequirement,
  coordinate: string,
  /** What the caller does with `coordinate`, for the messages: `read` a field, `use` an argument. */
  verb: 'read' | 'use' = 'read',
): (viewer: Viewer | null) => GraphQLError | null {
  if (!requirement.signedIn) return () => null;
  const decide = compileDecision(requirement, coordinate, verb);
  let bySource: readonly (readonly [string | null, Decision])[] | undefined;
  return (viewer) => {
    const error = decide(viewer);
    if (error === null) return null;
    bySource ??= requirement.sources.map(
      (source) => [source.rule ?? null, compileDecision(enforcedAlone(source, requirement), coordinate, verb)] as const,
    );
    return new Denial(error, coordinate, bySource.find(([, alone]) => alone(viewer) !== null)?.[0] ?? null);
  };
}

/** The requirement of one source on its own, enforced (a reported source is judged as if it were not). */
function enforcedAlone(source: RequirementSource, requirement: FieldRequirement): FieldRequirement {
  const { reportOnly: _reported, ...enforced } = source;
  return combineRequirements([enforced], requirement.roleCatalog);
}

function compileDecision(requirement: FieldRequirement, coordinate: string, verb: 'read' | 'use'): Decision {
  if (!requirement.signedIn) return () => null;
  const required = requirement.roles;
  const { kinds, scopes, roleCatalog } = requirement;
  return (viewer) => {
    if (viewer === null) return unauthenticated(`You must be signed in to ${verb} ${coordinate}.`);
    for (const choice of required) {
      if (!holdsOneOf(roleCatalog, viewer.roles, choice)) return forbidden(`You are not allowed to ${verb} ${coordinate}.`);
    }
    if (kinds !== null && !kinds.includes(viewer.via)) return forbidden(`${KIND_NAMES[viewer.via]} may not be used for ${coordinate}.`);
    if (!holdsScopes(viewer.scopes, scopes)) {
      const needed = scopes.map((group) => group.join(' and ')).join(', or ');
      return forbidden(`Your credential lacks the scopes ${coordinate} needs (${needed}).`);
    }
    return null;
  };
}

function holdsOneOf(catalog: RoleCatalog, held: readonly string[], choice: RoleChoice): boolean {
  for (const role of choice) if (catalog.holds(held, role)) return true;
  return false;
}

const KIND_NAMES: Readonly<Record<CredentialKind, string>> = {
  jwt: 'A gatehouse session',
  'api-key': 'An API key',
  external: "An identity provider's token",
};

/**
 * The ownership part of a requirement: given the viewer and the object (the parent, or the object a
 * root field's id names), the error to raise or null. Null when the field has no `@owner`.
 */
export function compileOwnerCheck(
  requirement: FieldRequirement,
  coordinate: string,
): ((viewer: Viewer | null, object: object) => GraphQLError | null) | null {
  const rule = requirement.owner;
  if (rule === null) return null;
  const { roleCatalog } = requirement;
  const text = requirement.sources.find((s) => s.owner === rule)?.rule ?? null;
  return (viewer, object) =>
    passesOwnership(rule, viewer, object, roleCatalog) ? null : new Denial(ownershipDenial(rule, viewer, coordinate), coordinate, text);
}
