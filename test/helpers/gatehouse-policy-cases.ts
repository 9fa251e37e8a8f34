// The cases for entries of the auth map that name gatehouse's own policies (src/graphql/policies.ts),
// generated from the map: those policies are gatehouse's code, so the server runs the real ones and
// the test puts the caller in situations where each gives a known verdict. What each policy answers
// in a situation is written out below, by hand, from its documented rule (schema/api-keys.graphql,
// schema/organizations.graphql): the map says which policies decide; this table says what they
// decide. The rest of the expectation comes from the map's label for the caller: `owner` (the
// object the field loads is the caller's, or not), `member` / `ADMIN member` (the caller's role in
// the organization the argument names: each role of the enum, or none), `policy`.
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';
import type { AuthMap, AuthMapEntry } from '../../src/tools/auth-map';
import { fieldRequirement } from '../../src/enforcement/requirements';
import { callerLabel, GATEHOUSE_POLICY, policiesPass, type Unplayed } from './map-policy-cases';
import { pathTo, type Step } from './matrix-operations';

/** Where the caller stands: owns the object (undefined: no owner rule), its role in the organization (null: none; undefined: no organization rule). */
export interface Situation {
  readonly owns: boolean | undefined;
  readonly orgRole: string | null | undefined;
}

/** Who sends the request: the map caller's gatehouse session, or (as a USER) an identity provider's token. */
export type Credential = 'session' | 'provider token, its account promoted to ADMIN' | 'provider token with scope openid';

/** The ids and names a variant's arguments use. */
export interface VariantValues {
  /** The acting account. */
  readonly self: string;
  /** Another member of the organization. */
  readonly other: string;
  /** A scope the schema knows. */
  readonly scope: string;
}

/** One way to ask, and the verdict the policy gives then. */
export interface Variant {
  readonly name: string;
  readonly credential: Credential;
  /** GraphQL literals for arguments of the field, by name. */
  readonly args: (values: VariantValues) => Readonly<Record<string, string>>;
  /** What the entry's gatehouse policies answer (those not named: true). */
  readonly verdicts: (situation: Situation) => Readonly<Record<string, boolean>>;
}

const SESSION: Credential = 'session';
const PROMOTED: Credential = 'provider token, its account promoted to ADMIN';
const SCOPED: Credential = 'provider token with scope openid';
const none = () => ({});

/** Each gatehouse policy's verdicts, per its documented rule. A policy missing here fails the test naming it. */
export const GATEHOUSE_POLICY_VARIANTS: Readonly<Record<string, readonly Variant[]>> = {
  // The credential holds every role its account holds: a session does; a provider token for an
  // account an ADMIN promoted does not.
  'gatehouse.apiKeyRoles': [
    { name: 'a session', credential: SESSION, args: none, verdicts: () => ({ 'gatehouse.apiKeyRoles': true }) },
    {
      name: 'a token lacking a role of its account',
      credential: PROMOTED,
      args: none,
      verdicts: () => ({ 'gatehouse.apiKeyRoles': false }),
    },
  ],
  // Every known scope asked for is held: a session holds every scope; a token holds its own.
  'gatehouse.apiKeyScopes': [
    {
      name: 'a session asking for a scope',
      credential: SESSION,
      args: ({ scope }) => ({ scopes: JSON.stringify([scope]) }),
      verdicts: () => ({ 'gatehouse.apiKeyScopes': true }),
    },
    {
      name: 'a token asking for a scope it lacks',
      credential: SCOPED,
      args: ({ scope }) => ({ scopes: JSON.stringify([scope]) }),
      verdicts: () => ({ 'gatehouse.apiKeyScopes': false }),
    },
  ],
  // As apiKeyRoles, for the caller's own key only (another's key is the owner rule's to refuse).
  'gatehouse.apiKeyRotation': [
    { name: 'a session', credential: SESSION, args: none, verdicts: () => ({ 'gatehouse.apiKeyRotation': true }) },
    {
      name: 'a token lacking a role of its account',
      credential: PROMOTED,
      args: none,
      verdicts: ({ owns }) => ({ 'gatehouse.apiKeyRotation': owns !== true }),
    },
  ],
  // Only an OWNER of the organization gives OWNER.
  'gatehouse.organizationOwnerGrant': [
    {
      name: 'giving MEMBER',
      credential: SESSION,
      args: () => ({ role: 'MEMBER' }),
      verdicts: () => ({ 'gatehouse.organizationOwnerGrant': true }),
    },
    {
      name: 'giving OWNER',
      credential: SESSION,
      args: () => ({ role: 'OWNER' }),
      verdicts: ({ orgRole }) => ({ 'gatehouse.organizationOwnerGrant': orgRole === 'OWNER' }),
    },
  ],
  // A member may remove themself; another member only the organization's ADMIN (or OWNER) removes.
  'gatehouse.memberRemoval': [
    {
      name: 'removing themself',
      credential: SESSION,
      args: ({ self }) => ({ userId: JSON.stringify(self) }),
      verdicts: () => ({ 'gatehouse.memberRemoval': true }),
    },
    {
      name: 'removing another member',
      credential: SESSION,
      args: ({ other }) => ({ userId: JSON.stringify(other) }),
      verdicts: ({ orgRole }) => ({ 'gatehouse.memberRemoval': orgRole === 'ADMIN' || orgRole === 'OWNER' }),
    },
  ],
};

export interface GatehouseCase {
  readonly coordinate: string;
  readonly caller: string;
  readonly path: readonly Step[];
  readonly situation: Situation;
  readonly variant: Variant;
  /** The type an `@owner(loads:)` loads, by the argument `idArgument`; null when the entry has no owner rule. */
  readonly owned: { readonly loads: string; readonly idArgument: string } | null;
  /** The argument naming the organization; null when the entry has no organization rule. */
  readonly organizationArgument: string | null;
  readonly allowed: boolean;
  /** For the test's name. */
  readonly shown: string;
}

function ownerPart(label: ReturnType<typeof callerLabel>, owns: boolean | undefined): boolean {
  return owns === undefined || !label!.others.some((q) => q.startsWith('owner')) || owns;
}

function memberPart(entry: AuthMapEntry, label: ReturnType<typeof callerLabel>, orgRole: string | null | undefined): boolean {
  if (orgRole === undefined || !label!.others.some((q) => /(^| )member$/.test(q))) return true;
  return orgRole !== null && entry.organization![0]!.heldBy.includes(orgRole);
}

/**
 * Every labelled or unlabelled caller of every entry naming a gatehouse policy, in every situation
 * its rules make relevant (owner or not; each organization role or none) and every variant of its
 * policies. Anonymous plays the sessions' variants with nothing owned and no membership.
 */
export function gatehousePolicyCases(
  schema: GraphQLSchema,
  map: AuthMap,
  callers: readonly string[],
  organizationRoles: readonly string[],
): { cases: GatehouseCase[]; unplayed: Unplayed[]; entries: string[] } {
  const cases: GatehouseCase[] = [];
  const unplayed: Unplayed[] = [];
  const played = map.entries.filter((e) => e.argument === undefined && (e.policies ?? []).flat(2).some((n) => GATEHOUSE_POLICY.test(n)));
  for (const entry of played) {
    const [typeName, fieldName] = entry.coordinate.split('.') as [string, string];
    const type = schema.getType(typeName) as GraphQLObjectType;
    const path = pathTo(schema, { type, field: fieldName });
    const names = [...new Set((entry.policies ?? []).flat(2))];
    const owner = fieldRequirement(schema, type, fieldName).owner;
    const organizations = entry.organization ?? [];
    const why =
      path === undefined || path.length !== 1
        ? 'not a root field: the matrix plays gatehouse’s policies on root fields'
        : (names.find((n) => GATEHOUSE_POLICY_VARIANTS[n] === undefined && GATEHOUSE_POLICY.test(n)) ??
          (names.some((n) => !GATEHOUSE_POLICY.test(n)) ? 'an application policy beside gatehouse’s' : undefined) ??
          (owner !== null && owner.loads === null ? 'an owner rule on an object (no loads)' : undefined) ??
          (organizations.length > 1 || organizations.some((o) => o.argument === null) ? 'an organization rule on the object' : undefined));
    if (why !== undefined) {
      for (const caller of callers)
        unplayed.push({ coordinate: entry.coordinate, caller, reason: why.startsWith('gatehouse.') ? `no variants for ${why}` : why });
      continue;
    }
    const ownsChoices = owner === null ? [undefined] : [true, false];
    const roleChoices = organizations.length === 0 ? [undefined] : [...organizationRoles, null];
    const variants = names.flatMap((n) => GATEHOUSE_POLICY_VARIANTS[n]!);
    for (const caller of callers) {
      const label = callerLabel(entry, caller);
      for (const variant of variants) {
        // A provider token here acts as a USER (no roles claim); anonymous has no credential at all.
        if (variant.credential !== SESSION && caller !== 'USER') continue;
        for (const owns of caller === 'anonymous' ? ownsChoices.map((o) => (o === undefined ? o : false)) : ownsChoices)
          for (const orgRole of caller === 'anonymous' ? roleChoices.map((r) => (r === undefined ? r : null)) : roleChoices) {
            const situation = { owns, orgRole };
            const verdicts = Object.fromEntries(names.map((n) => [n, variant.verdicts(situation)[n] ?? true]));
            const allowed =
              label !== null &&
              ownerPart(label, owns) &&
              memberPart(entry, label, orgRole) &&
              (!label.policy || policiesPass(entry.policies, verdicts));
            const where = [
              owns === undefined ? '' : owns ? 'owner' : 'not owner',
              orgRole === undefined ? '' : `org role ${orgRole ?? 'none'}`,
            ];
            cases.push({
              coordinate: entry.coordinate,
              caller,
              path: path!,
              situation,
              variant,
              owned: owner === null ? null : { loads: owner.loads!, idArgument: owner.idArgument },
              organizationArgument: organizations[0]?.argument ?? null,
              allowed,
              shown: [variant.name, variant.credential, ...where].filter((s) => s !== '').join(', '),
            });
          }
      }
    }
  }
  // Anonymous plays the same situation once per variant: keep one of each.
  const seen = new Set<string>();
  const unique = cases.filter((c) => {
    const key = `${c.coordinate}|${c.caller}|${c.shown}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return { cases: unique, unplayed, entries: played.map((e) => e.coordinate) };
}
