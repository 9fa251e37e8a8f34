// Tooling, not enforcement: reports who can reach each field (the `gatehouse auth-map` command,
// the generated table of docs/protecting-fields.md). It decides nothing of its own: requirements
// and checks come from src/enforcement/requirements.ts and checks.ts, the roles (one caller per
// declared role, holding what it includes) from the schema's `enum Role` (src/enforcement/declared-roles.ts).
import {
  getNamedType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  isAbstractType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { compileCheck } from '../enforcement/checks';
import type { OrganizationRule } from '../enforcement/organizations';
import { type FieldRequirement, fieldRequirement, type RequirementSource } from '../enforcement/requirements';
import { MEMBER } from '../auth/organization-roles';
import { openRootFields } from '../enforcement/apply-directives';
import { declaredRoles } from '../enforcement/declared-roles';
import { isFederationRootField } from '../enforcement/federation';
import type { CredentialKind, Viewer } from '../auth/viewer';
import { argumentEntries } from './auth-map-arguments';
import { argumentRulePaths, readArgumentPlan } from '../enforcement/argument-rules';

/** One field reachable from a root type, with what it demands and who can get to it. */
export interface AuthMapEntry {
  /** `Type.field`. */
  readonly coordinate: string;
  /**
   * `public`, `signed in`, or `role ADMIN` (`role MODERATOR or SUPPORT` for `anyOf`; several
   * `@hasRole` joined with ` + `), followed by what else
   * applies, each after ` + `: `scopes a and b or c`, `not via API_KEY` (the kinds refused), `owner
   * (authorId) or ADMIN`.
   */
  readonly requires: string;
  /** Where the requirement comes from, e.g. `@hasRole(role: ADMIN) on field`, or `no directive`. */
  readonly from: string;
  /**
   * The callers (anonymous, then each role, signed in with a gatehouse session, which holds every
   * scope) who can reach this field from a root and read it. `USER (owner)`: only on objects that
   * caller owns; `USER (policy)`: where the field's policies say so (`USER (owner, policy)`: both).
   */
  readonly reachableBy: readonly string[];
  /**
   * What the rules beside `@reportOnly` would require (as `requires` says it), were they enforced.
   * They deny nobody: `reachableBy` ignores them. Present only when there are some.
   */
  readonly reportOnly?: string;
  /** `@requiresScopes`: one of these lists of scopes, all of it. Present only when some scope is needed. */
  readonly scopes?: readonly (readonly string[])[];
  /** `@credentials`: the kinds of credential allowed. Present only when not every kind is. */
  readonly credentials?: readonly string[];
  /** A row for an argument or input field (coordinate `Type.field(path)`): its path from the field. */
  readonly argument?: string;
  /** `@fromViewer`: the credential's path the argument takes its value from (no caller may supply it). */
  readonly fromViewer?: string;
  /** `@owner`: the property holding the owner's id, the role that passes anyway, and on a root field the type loaded. */
  readonly owner?: {
    readonly field: string;
    readonly orRole: string | null;
    readonly loads: string | null;
    /** With `loads`: the argument whose value names the object loaded (another argument checks another object). */
    readonly idArgument?: string;
    /** Present when objects with this property value are open to anyone. */
    readonly openWhen?: { readonly field: string; readonly value: string };
  };
  /**
   * `@inOrganization` (every one must pass): the organization role required, the organization roles
   * that pass (it and those including it), where the organization id comes from (the object's
   * property `field`, or the field's `argument`), and the global role that passes anyway.
   */
  readonly organization?: readonly {
    readonly role: string;
    readonly heldBy: readonly string[];
    readonly field: string | null;
    readonly argument: string | null;
    readonly orRole: string | null;
  }[];
  /**
   * `@policy`: the policy names, one OR of AND lists per directive (type and field), all of which
   * must pass. Callers who pass the rest are labelled `(policy)`: the functions decide at run time.
   */
  readonly policies?: readonly (readonly (readonly string[])[])[];
}

export interface AuthMap {
  readonly entries: readonly AuthMapEntry[];
  /** Root Query/Mutation/Subscription fields with no directive (strict mode refuses these). */
  readonly openRootFields: readonly string[];
  readonly warnings: readonly string[];
}

const ANONYMOUS = 'anonymous';

/** `@owner`'s `idArgument` when not written (directive-sdl.ts): the map quotes it only when it differs. */
const DEFAULT_ID_ARGUMENT = 'id';

/** The CredentialKind enum value of each Viewer.via. */
const KIND_ENUM: Readonly<Record<CredentialKind, string>> = { jwt: 'JWT', 'api-key': 'API_KEY', external: 'EXTERNAL' };

function describeRequirement(requirement: FieldRequirement): string {
  const parts: string[] = [];
  if (requirement.signedIn)
    parts.push(requirement.roles.length === 0 ? 'signed in' : `role ${requirement.roles.map((choice) => choice.join(' or ')).join(' + ')}`);
  if (requirement.scopes.length > 0) parts.push(`scopes ${requirement.scopes.map((group) => group.join(' and ')).join(' or ')}`);
  if (requirement.kinds !== null) {
    const refused = (Object.keys(KIND_ENUM) as CredentialKind[]).filter((k) => !requirement.kinds?.includes(k)).map((k) => KIND_ENUM[k]);
    parts.push(`not via ${refused.join(', ')}`);
  }
  const owner = requirement.owner;
  if (owner !== null) {
    const open = owner.openWhen === null ? '' : `, or ${owner.openWhen.field} ${owner.openWhen.value}`;
    parts.push(`owner (${owner.field})${owner.orRole === null ? '' : ` or ${owner.orRole}`}${open}`);
  }
  for (const rule of requirement.organizations) parts.push(describeOrganizationRule(rule));
  for (const rule of requirement.policies) parts.push(`policy ${rule.map((group) => group.join(' and ')).join(' or ')}`);
  return parts.length === 0 ? 'public' : parts.join(' + ');
}

/** `ADMIN of the object's organization (organizationId)`, `MEMBER of the organization in argument id or ADMIN`. */
function describeOrganizationRule(rule: OrganizationRule): string {
  const where = rule.argument === null ? `the object's organization (${rule.field})` : `the organization in argument ${rule.argument}`;
  return `${rule.role === MEMBER ? 'member' : rule.role} of ${where}${rule.orRole === null ? '' : ` or ${rule.orRole}`}`;
}

/** What `from` says of a subgraph's `_entities` and `_service` (src/enforcement/federation.ts), or undefined. */
function federationRootNote(schema: GraphQLSchema, typeName: string, fieldName: string): string | undefined {
  if (!isFederationRootField(schema, typeName, fieldName)) return undefined;
  return fieldName === '_entities' ? "federation: each entity's fields keep their own rules" : 'federation: the SDL a router composes from';
}

function describeSource(source: RequirementSource): string {
  let directive = `@${source.written ?? source.directive}`;
  if (source.directive === 'hasRole')
    directive = source.anyOf ? `@hasRole(anyOf: [${source.role?.join(', ')}])` : `@hasRole(role: ${source.role?.[0]})`;
  if (source.scopes !== undefined) directive = `@requiresScopes(scopes: ${JSON.stringify(source.scopes)})`;
  if (source.kinds !== undefined) directive = `@credentials(allow: [${source.kinds.map((k) => KIND_ENUM[k]).join(', ')}])`;
  if (source.owner !== undefined) {
    const { field, orRole, loads, openWhen, idArgument } = source.owner;
    const args = [
      ...(loads === null ? [] : [`loads: "${loads}"`]),
      `field: "${field}"`,
      ...(loads === null || idArgument === DEFAULT_ID_ARGUMENT ? [] : [`idArgument: "${idArgument}"`]),
      ...(orRole === null ? [] : [`orRole: ${orRole}`]),
      ...(openWhen === null ? [] : [`openWhen: "${openWhen.field}"`, `openValue: "${openWhen.value}"`]),
    ];
    directive = `@owner(${args.join(', ')})`;
  }
  if (source.organization !== undefined) {
    const { role, field, argument, orRole } = source.organization;
    const args = [
      `role: ${role}`,
      argument === null ? `field: "${field}"` : `argument: "${argument}"`,
      ...(orRole === null ? [] : [`orRole: ${orRole}`]),
    ];
    directive = `@inOrganization(${args.join(', ')})`;
  }
  if (source.policies !== undefined) directive = `@policy(policies: ${JSON.stringify(source.policies)})`;
  const where = source.on === 'field' ? 'field' : source.on === 'type' ? `type ${source.coordinate}` : source.coordinate;
  return `${directive} on ${where}${source.reportOnly ? ' (report only)' : ''}`;
}

/**
 * `requires` with what the rules beside `@reportOnly` would require (`signed in (report only: role
 * ADMIN)`), every source (enforced, then reported), and the JSON's `reportOnly` when there are some.
 */
function describeWithReported(
  requirement: FieldRequirement,
  enforced: string,
): { requires: string; sources: readonly RequirementSource[]; reportOnly: Pick<AuthMapEntry, 'reportOnly'> } {
  const reported = requirement.reportOnly ?? null;
  if (reported === null) return { requires: enforced, sources: requirement.sources, reportOnly: {} };
  const tried = describeRequirement(reported);
  return {
    requires: `${enforced} (report only: ${tried})`,
    sources: [...requirement.sources, ...reported.sources],
    reportOnly: { reportOnly: tried },
  };
}

/** The structured parts of a requirement for the JSON form; only those that apply. */
function requirementDetail(
  requirement: FieldRequirement,
): Pick<AuthMapEntry, 'scopes' | 'credentials' | 'owner' | 'organization' | 'policies'> {
  const owner = requirement.owner;
  const organization = requirement.organizations.map(({ role, heldBy, field, argument, orRole }) => ({
    role,
    heldBy,
    field: argument === null ? field : null,
    argument,
    orRole,
  }));
  return {
    ...(organization.length > 0 ? { organization } : {}),
    ...(requirement.scopes.length > 0 ? { scopes: requirement.scopes } : {}),
    ...(requirement.kinds !== null ? { credentials: requirement.kinds.map((k) => KIND_ENUM[k]) } : {}),
    ...(owner !== null
      ? {
          owner: {
            field: owner.field,
            orRole: owner.orRole,
            loads: owner.loads,
            ...(owner.loads === null ? {} : { idArgument: owner.idArgument }),
            ...(owner.openWhen === null ? {} : { openWhen: owner.openWhen }),
          },
        }
      : {}),
    ...(requirement.policies.length > 0 ? { policies: requirement.policies } : {}),
  };
}

/**
 * `member` (or `ADMIN member`) when the caller reaches the field only as a member of the
 * organization concerned: some `@inOrganization` whose `orRole` the caller does not hold. Null otherwise.
 */
function membershipLabel(requirement: FieldRequirement, viewer: Viewer | null): string | null {
  const needed = requirement.organizations.filter(
    (rule) => rule.orRole === null || viewer === null || !requirement.roleCatalog.holds(viewer.roles, rule.orRole),
  );
  if (needed.length === 0) return null;
  // The most demanding rule says it all when every holder of its role passes the others too.
  const strictest = [...needed].sort((a, b) => a.heldBy.length - b.heldBy.length)[0] as OrganizationRule;
  const covers = needed.every((rule) => strictest.heldBy.every((role) => rule.heldBy.includes(role)));
  const roles = covers ? [strictest.role] : [...new Set(needed.map((rule) => rule.role))];
  return roles.length === 1 && roles[0] === MEMBER ? 'member' : `${roles.join(' + ')} member`;
}

/** Object types a field's value may be: the type itself, or every possible type of an interface or union. */
function possibleObjectTypes(schema: GraphQLSchema, type: GraphQLNamedType): readonly GraphQLObjectType[] {
  if (isObjectType(type)) return [type];
  if (isAbstractType(type)) return schema.getPossibleTypes(type);
  return [];
}

/**
 * Every field reachable from the root types (through object fields, interfaces and unions), what it
 * requires, and which callers can reach it: a caller reaches a field when every field on some path
 * from a root lets them through. Pure: reads the schema's directives.
 */
export function buildAuthMap(schema: GraphQLSchema): AuthMap {
  const catalog = declaredRoles(schema);
  const roles = catalog.roles;
  const callers: Array<{ name: string; viewer: Viewer | null }> = [
    { name: ANONYMOUS, viewer: null },
    ...roles.map((role) => ({ name: role, viewer: { id: `map-${role}`, roles: catalog.expand(role), via: 'jwt' as const } })),
  ];

  const requirements = new Map<string, FieldRequirement>();
  const requirementOf = (type: GraphQLObjectType, field: string): FieldRequirement => {
    const key = `${type.name}.${field}`;
    let found = requirements.get(key);
    if (found === undefined) {
      found = fieldRequirement(schema, type, field);
      requirements.set(key, found);
    }
    return found;
  };

  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter((t): t is GraphQLObjectType => !!t);
  const reachable = new Map<string, Set<string>>(); // coordinate -> caller names
  const order: string[] = [];
  const fieldsByCoordinate = new Map<string, { type: GraphQLObjectType; field: GraphQLField<unknown, unknown> }>();

  for (const caller of callers) {
    const visited = new Set<string>();
    const queue: GraphQLObjectType[] = [...roots];
    while (queue.length > 0) {
      const type = queue.shift() as GraphQLObjectType;
      if (visited.has(type.name)) continue;
      visited.add(type.name);
      for (const field of Object.values(type.getFields())) {
        const coordinate = `${type.name}.${field.name}`;
        if (!fieldsByCoordinate.has(coordinate)) {
          fieldsByCoordinate.set(coordinate, { type, field });
          order.push(coordinate);
        }
        const requirement = requirementOf(type, field.name);
        if (compileCheck(requirement, coordinate)(caller.viewer) !== null) continue;
        let who = reachable.get(coordinate);
        if (who === undefined) reachable.set(coordinate, (who = new Set()));
        const owner = requirement.owner;
        const ownsOnly =
          owner !== null && (owner.orRole === null || caller.viewer === null || !catalog.holds(caller.viewer.roles, owner.orRole));
        // A policy decides at run time: a caller who passes the rest reaches the field `(policy)`.
        const policy = requirement.policies.length > 0 ? 'policy' : null;
        if (ownsOnly && caller.viewer === null) {
          // An anonymous caller owns nothing: it reaches only the objects openWhen opens, if any.
          if (owner.openWhen === null) continue;
          who.add(`${caller.name} (${[`only ${owner.openWhen.field} ${owner.openWhen.value}`, ...(policy ? [policy] : [])].join(', ')})`);
        } else {
          const ownerLabel = owner?.openWhen ? `owner, or ${owner.openWhen.field} ${owner.openWhen.value}` : 'owner';
          const memberLabel = membershipLabel(requirement, caller.viewer);
          const labels = [...(ownsOnly ? [ownerLabel] : []), ...(memberLabel === null ? [] : [memberLabel])].join('; ');
          const label = [...(labels === '' ? [] : [labels]), ...(policy ? [policy] : [])].join(', ');
          who.add(label === '' ? caller.name : `${caller.name} (${label})`);
        }
        queue.push(...possibleObjectTypes(schema, getNamedType(field.type)));
      }
    }
  }
  // A field no caller may read is still listed, with nobody reaching it.
  const viewers = new Map(callers.map((c) => [c.name, c.viewer]));
  const entries: AuthMapEntry[] = order.flatMap((coordinate) => {
    const { type, field } = fieldsByCoordinate.get(coordinate) as { type: GraphQLObjectType; field: GraphQLField<unknown, unknown> };
    const requirement = requirementOf(type, field.name);
    const reachableBy = callers.flatMap((c) =>
      [...(reachable.get(coordinate) ?? [])].filter((name) => name === c.name || name.startsWith(`${c.name} (`)),
    );
    const { requires, sources, reportOnly } = describeWithReported(requirement, describeRequirement(requirement));
    const fieldEntry: AuthMapEntry = {
      coordinate,
      requires,
      from:
        sources.length > 0 ? sources.map(describeSource).join(', ') : (federationRootNote(schema, type.name, field.name) ?? 'no directive'),
      ...reportOnly,
      reachableBy,
      ...requirementDetail(requirement),
    };
    const argumentRows = argumentEntries(schema, type.name, field, reachableBy, viewers).map((row): AuthMapEntry => {
      if (row.requirement === null)
        return {
          coordinate: row.coordinate,
          argument: row.argument,
          requires: `from the credential (${row.fromViewer})`,
          from: `@fromViewer(path: "${row.fromViewer}")`,
          reachableBy: row.reachableBy,
          ...(row.fromViewer === null ? {} : { fromViewer: row.fromViewer }),
        };
      // An argument whose only rules are report-only has none enforced: whoever reaches the field may supply it.
      const own = row.requirement.signedIn ? describeRequirement(row.requirement) : 'no enforced rule';
      const described = describeWithReported(row.requirement, own);
      return {
        coordinate: row.coordinate,
        argument: row.argument,
        requires: described.requires,
        from: described.sources.map(describeSource).join(', '),
        ...described.reportOnly,
        reachableBy: row.reachableBy,
        ...requirementDetail(row.requirement),
      };
    });
    return [fieldEntry, ...argumentRows];
  });

  return { entries, openRootFields: openRootFields(schema), warnings: warningsFor(schema, fieldsByCoordinate, requirementOf, roles) };
}

function warningsFor(
  schema: GraphQLSchema,
  fields: ReadonlyMap<string, { type: GraphQLObjectType; field: GraphQLField<unknown, unknown> }>,
  requirementOf: (type: GraphQLObjectType, field: string) => FieldRequirement,
  roles: readonly string[],
): string[] {
  const warnings: string[] = [];
  for (const [coordinate, { type, field }] of fields) {
    const requirement = requirementOf(type, field.name);
    // Root mutation fields are checked before the operation runs, so a denial never nulls `data`.
    const argumentRules = readArgumentPlan(schema, type.name, field);
    // A report-only argument rule refuses nobody: it nulls nothing.
    const ruled =
      requirement.signedIn || (argumentRules !== null && argumentRulePaths(argumentRules).some(({ slot }) => slot.requirement?.signedIn));
    if (ruled && isNonNullType(field.type) && type !== schema.getMutationType()) {
      warnings.push(`${coordinate} is protected but non-null: a denied read nulls its parent too. Make it nullable.`);
    }
    for (const role of requirement.roles.flat()) {
      if (!roles.includes(role)) warnings.push(`${coordinate} requires role ${role}, which the Role enum does not have.`);
    }
  }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isInterfaceType(type) || type.name.startsWith('__')) continue;
    for (const fieldName of Object.keys(type.getFields())) {
      const seen = new Map<string, string[]>();
      for (const impl of schema.getPossibleTypes(type)) {
        const label = describeRequirement(requirementOf(impl, fieldName));
        seen.set(label, [...(seen.get(label) ?? []), impl.name]);
      }
      if (seen.size > 1) {
        const detail = [...seen].map(([label, names]) => `${names.join(', ')}: ${label}`).join('; ');
        warnings.push(`${type.name}.${fieldName} is protected differently in its implementations (${detail}).`);
      }
    }
  }
  return warnings;
}
