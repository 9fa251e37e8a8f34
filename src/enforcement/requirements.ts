// What a field demands of its caller: the directives written on the field, on its type and on the
// interface field it implements, read from a schema that still has them and combined into one
// FieldRequirement (every rule applies; only `@public` on the field itself opens it). Pure: reading
// decides nothing about a viewer (that is checks.ts) and changes no resolver (apply-directives.ts).
// The guarded schema records each field's requirement, and a root field's `@owner` loader, in the
// field's extensions; the operation gate, the visible schema and the auth map read them back here.
import { astFromValue, type GraphQLObjectType, type GraphQLSchema, print } from 'graphql';
import { getDirective } from '@graphql-tools/utils';
import type { RoleCatalog } from '../auth/role-catalog';
import type { CredentialKind } from '../auth/viewer';
import { declaredRoles } from './declared-roles';
import { isSubgraphSchema } from './federation';
import { type OrganizationRule, organizationRule } from './organizations';
import type { OwnedObjectLoader, OwnerRule } from './ownership';
import type { PolicyAlternatives } from './policies';
import { combineScopeRequirements, type ScopeRequirement } from './scopes';

/** CredentialKind enum values and the Viewer.via each one names. */
const KIND_VALUES: Readonly<Record<string, CredentialKind>> = { JWT: 'jwt', API_KEY: 'api-key', EXTERNAL: 'external' };

/** Where a requirement was declared, for messages and the auth map. */
export interface RequirementSource {
  readonly directive: 'auth' | 'hasRole' | 'public' | 'requiresScopes' | 'credentials' | 'owner' | 'inOrganization' | 'policy';
  readonly on: 'field' | 'type' | 'interface' | 'argument';
  /** `Type.field` or `Type`; for an argument `Type.field(name)`, for an input field `Input.field`. */
  readonly coordinate: string;
  /** `@hasRole`: the roles of which the caller must hold one (`role: X` is `[X]`, `anyOf` its list). */
  readonly role?: RoleChoice;
  /** True when `role` came from `anyOf` (the map and messages write it as written). */
  readonly anyOf?: boolean;
  readonly scopes?: ScopeRequirement;
  readonly kinds?: readonly CredentialKind[];
  readonly owner?: OwnerRule;
  readonly organization?: OrganizationRule;
  /** `@policy(policies: …)`: one OR of AND lists of policy names. */
  readonly policies?: PolicyAlternatives;
  /**
   * The directive as written, with where it was declared: `@hasRole(role: ADMIN) on Query.users`.
   * What a denial's `extensions.rule`, its log line, `gatehouse explain` and the auth map show.
   */
  readonly rule?: string;
  /** Declared beside `@reportOnly`: evaluated and reported, never enforced (see FieldRequirement.reportOnly). */
  readonly reportOnly?: true;
  /** The directive's name as written when it is not `directive`: `authenticated` (federation's, read as `auth`). */
  readonly written?: string;
}

/** One `@hasRole`: the caller holds one of these roles, or a role that includes one. */
export type RoleChoice = readonly string[];

/**
 * What a field demands of its caller, after type and field directives are combined.
 * `signedIn` false means public. Every choice in `roles` must be satisfied, each by one of its roles.
 */
export interface FieldRequirement {
  readonly signedIn: boolean;
  readonly roles: readonly RoleChoice[];
  /** The schema's declared roles, which decide what holding a role means (src/enforcement/declared-roles.ts). */
  readonly roleCatalog: RoleCatalog;
  /** `@requiresScopes`, type and field combined; empty: no scope needed. */
  readonly scopes: ScopeRequirement;
  /** The credential kinds allowed (`@credentials`); null: any. */
  readonly kinds: readonly CredentialKind[] | null;
  /** `@owner`, decided on the object (see ownership.ts); null: none. */
  readonly owner: OwnerRule | null;
  /** `@inOrganization`, type and field (every one must pass; see organizations.ts); empty: none. */
  readonly organizations: readonly OrganizationRule[];
  /** `@policy`, one entry per directive (type and field): every entry must pass (see policies.ts); empty: none. */
  readonly policies: readonly PolicyAlternatives[];
  readonly sources: readonly RequirementSource[];
  /**
   * True when some enforcing directive (or `@public`) was written for this field (on it, its type
   * or its interface field). A rule beside `@reportOnly` does not count: strict mode asks for a rule
   * that is enforced.
   */
  readonly declared: boolean;
  /**
   * What the rules declared beside `@reportOnly` would demand, combined as if they were enforced;
   * null when there are none. They deny nothing: a caller they would refuse is reported.
   */
  readonly reportOnly?: FieldRequirement | null;
}

/**
 * The parts of a requirement that are decided on the object or the request's arguments rather
 * than on the caller alone, as `gatehouse explain` names them (`depends (ownership)`). A new rule
 * kind decided per object adds its line here.
 */
export function objectDependencies(requirement: FieldRequirement): string[] {
  const depends: string[] = [];
  if (requirement.owner !== null) depends.push('ownership');
  if (requirement.organizations.some((rule) => rule.argument === null)) depends.push('organization');
  if (requirement.policies.length > 0) depends.push('policy');
  return depends;
}

/** Field extension holding the requirement a field was guarded with (graphql-js keeps only string keys). */
export const GUARDED_EXTENSION = 'gatehouseAuth';

/** The requirement a field of the returned schema was guarded with, or undefined for public fields. */
export function guardedRequirement(field: { extensions?: Readonly<Record<string, unknown>> | null }): FieldRequirement | undefined {
  return field.extensions?.[GUARDED_EXTENSION] as FieldRequirement | undefined;
}

interface DirectiveCarrier {
  astNode?: unknown;
  extensionASTNodes?: unknown;
  extensions?: unknown;
}

/** The rule directives written on one schema element (a type, field, argument or input field). */
export function readDirectives(
  schema: GraphQLSchema,
  carrier: DirectiveCarrier,
  on: RequirementSource['on'],
  coordinate: string,
): RequirementSource[] {
  const found: RequirementSource[] = [];
  const node = carrier as Parameters<typeof getDirective>[1];
  if (getDirective(schema, node, 'public')?.length) found.push({ directive: 'public', on, coordinate });
  if (getDirective(schema, node, 'auth')?.length) found.push({ directive: 'auth', on, coordinate });
  // Apollo Federation's name for it, in a subgraph (federation.ts): the same rule, shown as written.
  if (isSubgraphSchema(schema) && getDirective(schema, node, 'authenticated')?.length)
    found.push({ directive: 'auth', on, coordinate, written: 'authenticated' });
  for (const args of getDirective(schema, node, 'hasRole') ?? []) {
    const anyOf = args['anyOf'] !== undefined && args['anyOf'] !== null;
    found.push({ directive: 'hasRole', on, coordinate, role: roleChoice(args, coordinate), ...(anyOf ? { anyOf } : {}) });
  }
  for (const args of getDirective(schema, node, 'requiresScopes') ?? []) {
    found.push({ directive: 'requiresScopes', on, coordinate, scopes: args['scopes'] as string[][] });
  }
  for (const args of getDirective(schema, node, 'credentials') ?? []) {
    const kinds = (args['allow'] as string[]).map((k) => KIND_VALUES[k]).filter((k): k is CredentialKind => k !== undefined);
    found.push({ directive: 'credentials', on, coordinate, kinds });
  }
  for (const args of getDirective(schema, node, 'owner') ?? []) {
    const owner: OwnerRule = {
      field: String(args['field']),
      orRole: args['orRole'] === undefined || args['orRole'] === null ? null : String(args['orRole']),
      loads: args['loads'] === undefined || args['loads'] === null ? null : String(args['loads']),
      idArgument: String(args['idArgument'] ?? 'id'),
      openWhen:
        args['openWhen'] === undefined || args['openWhen'] === null
          ? null
          : { field: String(args['openWhen']), value: String(args['openValue'] ?? '') },
    };
    found.push({ directive: 'owner', on, coordinate, owner });
  }
  for (const args of getDirective(schema, node, 'inOrganization') ?? []) {
    found.push({ directive: 'inOrganization', on, coordinate, organization: organizationRule(schema, args) });
  }
  for (const args of getDirective(schema, node, 'policy') ?? []) {
    found.push({ directive: 'policy', on, coordinate, policies: args['policies'] as string[][] });
  }
  return withRuleText(schema, node, found, coordinate);
}

/**
 * Adds to each source the directive's text as written and where (`@hasRole(role: ADMIN) on
 * Query.users`), and marks as report-only the rules written after `@reportOnly` on the same element
 * (`@auth @reportOnly @hasRole(role: ADMIN)`: signed in is enforced, ADMIN is tried out). Generic
 * over the directives: the text is printed from the directive's definition and arguments (those
 * equal to their default left out), so a new rule kind read above needs nothing here.
 */
function withRuleText(
  schema: GraphQLSchema,
  node: Parameters<typeof getDirective>[1],
  found: RequirementSource[],
  coordinate: string,
): RequirementSource[] {
  const reportOnlyAt = (getDirective(schema, node, 'reportOnly')?.length ?? 0) > 0 ? writtenOrder(node) : null;
  const seen = new Map<string, number>();
  const sources = found.map((source) => {
    const name = source.written ?? source.directive;
    const index = seen.get(name) ?? 0;
    seen.set(name, index + 1);
    const args = getDirective(schema, node, name)?.[index] ?? {};
    const text = `${directiveText(schema, name, args)} on ${source.coordinate}`;
    const reported = reportOnlyAt !== null && source.directive !== 'public' && reportOnlyAt(name);
    return { ...source, rule: text, ...(reported ? { reportOnly: true as const } : {}) };
  });
  if (reportOnlyAt !== null && !sources.some((s) => s.reportOnly)) {
    throw new TypeError(
      `${coordinate}: @reportOnly has no rule written after it. Write the rules to try out after it, e.g. @reportOnly @hasRole(role: ADMIN).`,
    );
  }
  return sources;
}

/**
 * Whether a directive is written after `@reportOnly` on this element (its definition and
 * extensions in order). A schema built without SDL keeps no order: then every rule counts as after.
 */
function writtenOrder(node: unknown): (directive: string) => boolean {
  const carrier = node as {
    astNode?: { directives?: readonly { name: { value: string } }[] } | null;
    extensionASTNodes?: readonly { directives?: readonly { name: { value: string } }[] }[];
  };
  const names = [carrier.astNode, ...(carrier.extensionASTNodes ?? [])].flatMap((n) => (n?.directives ?? []).map((d) => d.name.value));
  const at = names.indexOf('reportOnly');
  if (at === -1) return () => true;
  return (directive) => names.indexOf(directive, at + 1) !== -1;
}

/** `@name(arg: value, …)` from the directive's definition; arguments at their default value are left out. */
export function directiveText(schema: GraphQLSchema, name: string, args: Readonly<Record<string, unknown>>): string {
  const definition = schema.getDirective(name);
  const printed: string[] = [];
  for (const arg of definition?.args ?? []) {
    const value = args[arg.name];
    if (value === undefined || value === null) continue;
    if (arg.defaultValue !== undefined && JSON.stringify(arg.defaultValue) === JSON.stringify(value)) continue;
    const ast = astFromValue(value, arg.type);
    if (ast !== null && ast !== undefined) printed.push(`${arg.name}: ${print(ast)}`);
  }
  return printed.length === 0 ? `@${name}` : `@${name}(${printed.join(', ')})`;
}

/** `@hasRole(role: X)` or `@hasRole(anyOf: [X, Y])`: exactly one of the two, else the schema is refused. */
function roleChoice(args: Record<string, unknown>, coordinate: string): RoleChoice {
  const role = args['role'];
  const anyOf = args['anyOf'];
  const given = (role !== undefined && role !== null ? 1 : 0) + (anyOf !== undefined && anyOf !== null ? 1 : 0);
  if (given !== 1 || (Array.isArray(anyOf) && anyOf.length === 0))
    throw new TypeError(`${coordinate}: @hasRole takes exactly one of role (one role) and anyOf (a non-empty list of roles).`);
  return Object.freeze(Array.isArray(anyOf) ? [...new Set(anyOf.map(String))] : [String(role)]);
}

/**
 * Combines the directives that apply to one field. Pure.
 * - Type, interface-field and field requirements all apply (every one must pass).
 * - `@public` on the field itself opens it, whatever its type says.
 * - `@public` on a type adds nothing; it documents intent and satisfies strict mode.
 */
export function combineRequirements(all: readonly RequirementSource[], roleCatalog: RoleCatalog): FieldRequirement {
  if (!all.some((s) => s.reportOnly === true)) return combineEnforced(all, roleCatalog);
  // `@public` on the field opens it whatever its type says, reported rules of the type included.
  const opened = all.some((s) => s.directive === 'public' && s.on === 'field');
  const reported = all.filter((s) => s.reportOnly === true && (!opened || s.on === 'field'));
  const enforced = combineEnforced(
    all.filter((s) => s.reportOnly !== true),
    roleCatalog,
  );
  return reported.length === 0 ? enforced : { ...enforced, reportOnly: combineEnforced(reported, roleCatalog) };
}

/** combineRequirements for the sources that are enforced (or, for `reportOnly`, those that are reported). */
function combineEnforced(sources: readonly RequirementSource[], roleCatalog: RoleCatalog): FieldRequirement {
  const declared = sources.length > 0;
  if (sources.some((s) => s.directive === 'public' && s.on === 'field')) {
    // @public opens the field to every caller; an @owner or @policy on the field itself still decides per object.
    const kept = sources.filter(
      (s) => s.on === 'field' && (s.directive === 'public' || s.directive === 'owner' || s.directive === 'policy'),
    );
    return {
      signedIn: false,
      roles: [],
      roleCatalog,
      scopes: [],
      kinds: null,
      owner: kept.find((s) => s.owner !== undefined)?.owner ?? null,
      organizations: [],
      policies: policiesOf(kept),
      sources: kept,
      declared,
    };
  }
  const enforcing = sources.filter((s) => s.directive !== 'public');
  const roles: RoleChoice[] = [];
  for (const s of enforcing) if (s.role !== undefined && !roles.some((r) => sameChoice(r, s.role!))) roles.push(s.role);
  const scopes = combineScopeRequirements(enforcing.flatMap((s) => (s.scopes === undefined ? [] : [s.scopes])));
  let kinds: readonly CredentialKind[] | null = null;
  for (const s of enforcing) if (s.kinds !== undefined) kinds = (kinds ?? s.kinds).filter((k) => s.kinds?.includes(k));
  // Not repeatable and on fields only: the field's own rule, else its interface field's.
  const owner = enforcing.findLast((s) => s.owner !== undefined)?.owner ?? null;
  // An ownership rule alone does not ask for a signed-in caller: the user signUp returns may read
  // its own email on that (anonymous) request. Nor does a policy: it decides about anonymous callers itself.
  const signedIn = enforcing.some((s) => s.directive !== 'owner' && s.directive !== 'policy');
  const organizations = enforcing.flatMap((s) => (s.organization === undefined ? [] : [s.organization]));
  return {
    signedIn,
    roles,
    roleCatalog,
    scopes,
    kinds,
    owner,
    organizations,
    policies: policiesOf(enforcing),
    sources: enforcing.length > 0 ? enforcing : sources,
    declared,
  };
}

function sameChoice(a: RoleChoice, b: RoleChoice): boolean {
  return a.length === b.length && a.every((role) => b.includes(role));
}

function policiesOf(sources: readonly RequirementSource[]): readonly PolicyAlternatives[] {
  return sources.flatMap((s) => (s.policies === undefined ? [] : [s.policies]));
}

/** The requirement of `typeName.fieldName` in a schema that still has its directives. */
export function fieldRequirement(schema: GraphQLSchema, type: GraphQLObjectType, fieldName: string): FieldRequirement {
  const field = type.getFields()[fieldName];
  if (field === undefined) throw new TypeError(`${type.name}.${fieldName} does not exist`);
  const sources = [
    ...readDirectives(schema, type, 'type', type.name),
    ...type.getInterfaces().flatMap((iface) => {
      const inherited = iface.getFields()[fieldName];
      return inherited === undefined ? [] : readDirectives(schema, inherited, 'interface', `${iface.name}.${fieldName}`);
    }),
    ...readDirectives(schema, field, 'field', `${type.name}.${fieldName}`),
  ];
  return combineRequirements(sources, declaredRoles(schema));
}

/** Field extension holding the loader of a root field's `@owner(loads: …)`, for the operation gate. */
export const OWNED_LOADER_EXTENSION = 'gatehouseOwnedLoader';

/** The loader a guarded root field loads its owned object with, or undefined. */
export function ownedObjectLoader(field: { extensions?: Readonly<Record<string, unknown>> | null }): OwnedObjectLoader | undefined {
  return field.extensions?.[OWNED_LOADER_EXTENSION] as OwnedObjectLoader | undefined;
}
