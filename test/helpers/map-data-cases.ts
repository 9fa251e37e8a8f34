// The cases for entries of the auth map whose access depends on data: an owner (`USER (owner)`), a
// role in an organization (`USER (ADMIN member)`), gatehouse's own policies (`USER (policy)`,
// src/graphql/policies.ts). Generated from the map: the test puts each caller the map names in each
// situation the entry's rules make relevant (the object the field loads is the caller's, another's,
// or another's but open; the caller holds each organization role, or none) and asks in each way
// that gives the entry's policies a known verdict. Those policies are gatehouse's code, so the
// server runs the real ones; what each answers in a situation is written out below, by hand, from
// its documented rule (schema/api-keys.graphql, schema/organizations.graphql): the map says which
// policies decide, this table what they decide. The rest of the expectation is the map's label.
import type { GraphQLObjectType, GraphQLSchema } from 'graphql';
import type { AuthMap, AuthMapEntry } from '../../src/tools/auth-map';
import { type CallerLabel, callerLabel, GATEHOUSE_POLICY, policiesPass, type Unplayed } from './map-policy-cases';
import { pathTo, type Step } from './matrix-operations';

type Owner = NonNullable<AuthMapEntry['owner']>;

/** Where the caller stands; undefined where the entry has no such rule. */
export interface Situation {
  /** The object the field loads is the caller's. */
  readonly owns: boolean | undefined;
  /** The object is open to anyone (its `openWhen` property holds `openValue`). */
  readonly open: boolean | undefined;
  /** The caller's role in the organization the argument names; null: not a member. */
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

/** The variant of an entry without gatehouse policies: its caller's session, nothing else asked. */
const PLAIN: Variant = { name: 'asking', credential: SESSION, args: none, verdicts: () => ({}) };

export interface DataCase {
  readonly coordinate: string;
  readonly caller: string;
  readonly path: readonly Step[];
  readonly situation: Situation;
  readonly variant: Variant;
  /** The map's `owner` of the entry (a root field loads the object by its `idArgument`); null: none. */
  readonly owner: Owner | null;
  /** The argument naming the organization; null when the entry has no organization rule. */
  readonly organizationArgument: string | null;
  readonly allowed: boolean;
  /** For the test's name. */
  readonly shown: string;
}

/** What the label's owner qualifier demands: `owner`; `owner, or visibility PUBLIC`; `only visibility PUBLIC`. */
function ownerPart(label: CallerLabel, { owns, open }: Situation): boolean {
  const qualifier = label.others.find((q) => q.startsWith('owner') || q.startsWith('only '));
  if (qualifier === undefined) return true;
  if (qualifier.startsWith('only ')) return open === true;
  return owns === true || (qualifier.includes(', or ') && open === true);
}

/** What the label's member qualifier demands: the role the entry's organization rule names, or one holding it. */
function memberPart(entry: AuthMapEntry, label: CallerLabel, { orgRole }: Situation): boolean {
  if (!label.others.some((q) => /(^| )member$/.test(q))) return true;
  return orgRole !== null && orgRole !== undefined && entry.organization![0]!.heldBy.includes(orgRole);
}

/** Why an entry is not played here, or undefined. */
function unplayable(
  schema: GraphQLSchema,
  entry: AuthMapEntry,
  path: readonly Step[] | undefined,
  owner: Owner | null,
  loadable: readonly string[],
): string | undefined {
  const names = (entry.policies ?? []).flat(2);
  const organizations = entry.organization ?? [];
  if (path?.[0]?.type === schema.getSubscriptionType())
    return 'a subscription: over WebSocket in test/http/auth-matrix-organizations.test.ts';
  if (path === undefined || path.length !== 1) return 'not a root field: the object comes from its parent';
  if (names.some((n) => !GATEHOUSE_POLICY.test(n))) return 'an application policy: test/http/auth-matrix-policies.test.ts';
  const missing = names.find((n) => GATEHOUSE_POLICY_VARIANTS[n] === undefined);
  if (missing !== undefined) return `no variants for ${missing}`;
  if (owner !== null && (owner.loads === null || owner.idArgument === undefined || !loadable.includes(owner.loads)))
    return `no fixture for objects of type ${owner.loads}`;
  if (organizations.length > 1 || organizations.some((o) => o.argument === null)) return 'an organization rule on the object';
  return undefined;
}

/** Every pair of values from lists (the product of the situations' dimensions). */
function situationsOf(owner: Owner | null, organizationRoles: readonly string[] | null, anonymous: boolean): Situation[] {
  const owns = owner === null ? [undefined] : anonymous ? [false] : [true, false];
  const open = owner?.openWhen === undefined ? [undefined] : [false, true];
  const roles = organizationRoles === null ? [undefined] : anonymous ? [null] : [...organizationRoles, null];
  return owns.flatMap((o) =>
    open.filter((p) => !(o === true && p === true)).flatMap((p) => roles.map((orgRole) => ({ owns: o, open: p, orgRole }))),
  );
}

function describeSituation({ owns, open, orgRole }: Situation): string[] {
  return [
    owns === undefined ? '' : owns ? 'own object' : open ? 'another’s open object' : 'another’s object',
    orgRole === undefined ? '' : `org role ${orgRole ?? 'none'}`,
  ].filter((s) => s !== '');
}

/**
 * The cases for every entry whose access the map labels as depending on data, for each of `callers`
 * (anonymous plays the sessions' variants, owning nothing and a member of nothing). `loadable`: the
 * types the test can make an object of for an `@owner(loads:)`.
 */
export function dataDependentCases(
  schema: GraphQLSchema,
  map: AuthMap,
  callers: readonly string[],
  organizationRoles: readonly string[],
  loadable: readonly string[],
): { cases: DataCase[]; unplayed: Unplayed[]; entries: string[] } {
  const cases: DataCase[] = [];
  const unplayed: Unplayed[] = [];
  const played = map.entries.filter(
    (e) =>
      e.argument === undefined &&
      ((e.policies ?? []).flat(2).some((n) => GATEHOUSE_POLICY.test(n)) || e.owner !== undefined || (e.organization ?? []).length > 0),
  );
  const entries: string[] = [];
  for (const entry of played) {
    const [typeName, fieldName] = entry.coordinate.split('.') as [string, string];
    const type = schema.getType(typeName) as GraphQLObjectType;
    const path =
      pathTo(schema, { type, field: fieldName }) ??
      (type === schema.getSubscriptionType() ? [{ type, field: type.getFields()[fieldName]! }] : undefined);
    const owner = entry.owner ?? null;
    const why = unplayable(schema, entry, path, owner, loadable);
    if (why !== undefined) {
      for (const caller of callers)
        if (callerLabel(entry, caller)?.others.length) unplayed.push({ coordinate: entry.coordinate, caller, reason: why });
      continue;
    }
    entries.push(entry.coordinate);
    const names = [...new Set((entry.policies ?? []).flat(2))];
    const variants = names.length === 0 ? [PLAIN] : names.flatMap((n) => GATEHOUSE_POLICY_VARIANTS[n]!);
    const orgRoles = (entry.organization ?? []).length === 0 ? null : organizationRoles;
    for (const caller of callers) {
      const label = callerLabel(entry, caller);
      for (const variant of variants) {
        // A provider token here acts as a USER (no roles claim).
        if (variant.credential !== SESSION && caller !== 'USER') continue;
        for (const situation of situationsOf(owner, orgRoles, caller === 'anonymous')) {
          const verdicts = Object.fromEntries(names.map((n) => [n, variant.verdicts(situation)[n] ?? true]));
          const allowed =
            label !== null &&
            ownerPart(label, situation) &&
            memberPart(entry, label, situation) &&
            (!label.policy || policiesPass(entry.policies, verdicts));
          const shown = [variant.name, ...(variant.credential === SESSION ? [] : [variant.credential]), ...describeSituation(situation)];
          cases.push({
            coordinate: entry.coordinate,
            caller,
            path: path!,
            situation,
            variant,
            owner,
            organizationArgument: entry.organization?.[0]?.argument ?? null,
            allowed,
            shown: shown.join(', '),
          });
        }
      }
    }
  }
  return { cases: [...cases, ...throughCases(schema, map, callers, cases)], unplayed, entries };
}

/**
 * The fields a caller reaches only through one of those root fields (`createApiKey { secret }`),
 * which the map lists plainly for that caller: each is played in the situations of its root's
 * cases, and allowed exactly when the root is.
 */
function throughCases(schema: GraphQLSchema, map: AuthMap, callers: readonly string[], rootCases: readonly DataCase[]): DataCase[] {
  const entries = new Map(map.entries.map((e) => [e.coordinate, e]));
  const through: DataCase[] = [];
  for (const entry of map.entries) {
    if (entry.argument !== undefined || rootCases.some((c) => c.coordinate === entry.coordinate)) continue;
    const [typeName, fieldName] = entry.coordinate.split('.') as [string, string];
    const type = schema.getType(typeName) as GraphQLObjectType;
    for (const caller of callers) {
      const label = callerLabel(entry, caller);
      if (label === null || label.others.length > 0 || label.policy) continue;
      const plain = (t: GraphQLObjectType, f: string) => {
        const step = callerLabel(entries.get(`${t.name}.${f}`), caller);
        return step !== null && step.others.length === 0 && !step.policy;
      };
      if (pathTo(schema, { type, field: fieldName }, plain) !== undefined) continue;
      const path = pathTo(schema, { type, field: fieldName });
      if (path?.length !== 2) continue;
      const root = `${path[0]!.type.name}.${path[0]!.field.name}`;
      for (const c of rootCases)
        if (c.coordinate === root && c.caller === caller) through.push({ ...c, coordinate: entry.coordinate, path });
    }
  }
  return through;
}
