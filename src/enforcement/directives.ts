// Decides what each field demands of its caller (the @public/@auth/@hasRole directives on the
// field, its type and its interface fields, combined) and enforces that in the field's resolver:
// UNAUTHENTICATED for an anonymous caller, FORBIDDEN for a signed-in one without the role. The
// requirement is stored on the field, where the operation gate (operation-gate.ts) and the auth map
// (src/tools/auth-map.ts) read it; whether a viewer holds a role is src/auth/roles.ts's decision.
import { type GraphQLFieldConfig, type GraphQLError, type GraphQLObjectType, type GraphQLSchema, isObjectType } from 'graphql';
import { getDirective, MapperKind, mapSchema } from '@graphql-tools/utils';
import { forbidden, unauthenticated } from '../errors';
import { holdsRole } from '../auth/roles';
import type { AuthContext, Viewer } from '../auth/viewer';

/**
 * The SDL of gatehouse's directives. Add it to your type definitions; the `Role` enum is yours.
 */
export const authDirectiveTypeDefs = /* GraphQL */ `
  """
  Only a signed-in caller (JWT or API key) may read this field, or every field of this type.
  """
  directive @auth on OBJECT | FIELD_DEFINITION

  """
  Only a caller holding this role, or a role that includes it (ADMIN includes USER), may read this
  field, or every field of this type.
  """
  directive @hasRole(role: Role!) on OBJECT | FIELD_DEFINITION

  """
  Anyone may read this field, signed in or not. On a field it opens that field even inside a
  protected type; on a type it only states the type is public.
  """
  directive @public on OBJECT | FIELD_DEFINITION
`;

/** Where a requirement was declared, for messages and the auth map. */
export interface RequirementSource {
  readonly directive: 'auth' | 'hasRole' | 'public';
  readonly on: 'field' | 'type' | 'interface';
  /** `Type.field` or `Type`. */
  readonly coordinate: string;
  readonly role?: string;
}

/**
 * What a field demands of its caller, after type and field directives are combined.
 * `signedIn` false means public. Every role in `roles` must be satisfied.
 */
export interface FieldRequirement {
  readonly signedIn: boolean;
  readonly roles: readonly string[];
  readonly sources: readonly RequirementSource[];
  /** True when some directive was written for this field (on it, its type or its interface field). */
  readonly declared: boolean;
}

export interface ApplyAuthDirectivesOptions {
  /**
   * Refuse a schema in which a root `Query`, `Mutation` or `Subscription` field carries none of
   * `@public`, `@auth` or `@hasRole` (on the field or its root type). Default true.
   */
  readonly strict?: boolean;
}

/** The schema leaves a root field open without saying so; thrown by applyAuthDirectives in strict mode. */
export class AuthCoverageError extends Error {
  override readonly name = 'AuthCoverageError';
  constructor(readonly openFields: readonly string[]) {
    super(
      `Strict auth: ${openFields.length} root field(s) have no @public, @auth or @hasRole: ${openFields.join(', ')}. ` +
        'Mark each one, or turn strict mode off.',
    );
  }
}

/** Field extension holding the requirement a field was guarded with (graphql-js keeps only string keys). */
const GUARDED = 'gatehouseAuth';

/** The requirement a field of the returned schema was guarded with, or undefined for public fields. */
export function guardedRequirement(field: { extensions?: Readonly<Record<string, unknown>> | null }): FieldRequirement | undefined {
  return field.extensions?.[GUARDED] as FieldRequirement | undefined;
}

interface DirectiveCarrier {
  astNode?: unknown;
  extensionASTNodes?: unknown;
  extensions?: unknown;
}

function readDirectives(
  schema: GraphQLSchema,
  carrier: DirectiveCarrier,
  on: RequirementSource['on'],
  coordinate: string,
): RequirementSource[] {
  const found: RequirementSource[] = [];
  const node = carrier as Parameters<typeof getDirective>[1];
  if (getDirective(schema, node, 'public')?.length) found.push({ directive: 'public', on, coordinate });
  if (getDirective(schema, node, 'auth')?.length) found.push({ directive: 'auth', on, coordinate });
  for (const args of getDirective(schema, node, 'hasRole') ?? []) {
    found.push({ directive: 'hasRole', on, coordinate, role: String(args['role']) });
  }
  return found;
}

/**
 * Combines the directives that apply to one field. Pure.
 * - Type, interface-field and field requirements all apply (every one must pass).
 * - `@public` on the field itself opens it, whatever its type says.
 * - `@public` on a type adds nothing; it documents intent and satisfies strict mode.
 */
export function combineRequirements(sources: readonly RequirementSource[]): FieldRequirement {
  const declared = sources.length > 0;
  if (sources.some((s) => s.directive === 'public' && s.on === 'field')) {
    return { signedIn: false, roles: [], sources: sources.filter((s) => s.directive === 'public' && s.on === 'field'), declared };
  }
  const enforcing = sources.filter((s) => s.directive !== 'public');
  const roles = [...new Set(enforcing.flatMap((s) => (s.role === undefined ? [] : [s.role])))];
  return { signedIn: enforcing.length > 0, roles, sources: enforcing.length > 0 ? enforcing : sources, declared };
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
  return combineRequirements(sources);
}

/**
 * Builds the decision for one requirement: given a viewer, the error to raise or null.
 * Built once per schema build; the per-call check allocates nothing for viewers whose roles were
 * expanded when they were built (src/auth/roles.ts).
 */
export function compileCheck(requirement: FieldRequirement, coordinate: string): (viewer: Viewer | null) => GraphQLError | null {
  if (!requirement.signedIn) return () => null;
  const required = requirement.roles;
  return (viewer) => {
    if (viewer === null) return unauthenticated(`You must be signed in to read ${coordinate}.`);
    for (const role of required) {
      if (!holdsRole(viewer.roles, role)) return forbidden(`You are not allowed to read ${coordinate}.`);
    }
    return null;
  };
}

/** Root fields that carry no directive at all, as `Type.field`. */
export function openRootFields(schema: GraphQLSchema): string[] {
  const open: string[] = [];
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (!root) continue;
    for (const name of Object.keys(root.getFields())) {
      if (!fieldRequirement(schema, root, name).declared) open.push(`${root.name}.${name}`);
    }
  }
  return open;
}

/**
 * Returns `schema` with every `@auth` / `@hasRole` requirement enforced in the resolvers, including
 * fields that use the default resolver. The check reads `context.viewer`, runs synchronously and
 * returns the original resolver's value untouched (a synchronous resolver stays synchronous).
 * A denied field resolves to an error at its path: UNAUTHENTICATED for an anonymous caller,
 * FORBIDDEN for a signed-in one. Introspection is never guarded.
 */
export function applyAuthDirectives(schema: GraphQLSchema, options: ApplyAuthDirectivesOptions = {}): GraphQLSchema {
  if (options.strict ?? true) {
    const open = openRootFields(schema);
    if (open.length > 0) throw new AuthCoverageError(open);
  }
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      if (guardedRequirement(fieldConfig) !== undefined) return fieldConfig;
      const type = schema.getType(typeName);
      if (!isObjectType(type)) return fieldConfig;
      const requirement = fieldRequirement(schema, type, fieldName);
      if (!requirement.signedIn) return fieldConfig;
      return guardField(fieldConfig, requirement, compileCheck(requirement, `${typeName}.${fieldName}`));
    },
  });
}

function guardField(
  fieldConfig: GraphQLFieldConfig<unknown, unknown>,
  requirement: FieldRequirement,
  check: (viewer: Viewer | null) => GraphQLError | null,
): GraphQLFieldConfig<unknown, unknown> {
  const extensions = { ...fieldConfig.extensions, [GUARDED]: requirement };
  const own = fieldConfig.resolve;
  if (own === undefined) {
    // Most guarded fields on big lists are plain properties: graphql's default resolver is inlined
    // here, which saves a function call per object and field (measurable on 10,000-item lists).
    const rolesNeeded = requirement.roles.length > 0;
    return {
      ...fieldConfig,
      extensions,
      resolve(source, args, context, info) {
        const viewer = (context as AuthContext | undefined)?.viewer ?? null;
        // "Signed in" is one comparison; only role checks need the compiled check.
        if (viewer === null || rolesNeeded) {
          const denial = check(viewer);
          if (denial !== null) throw denial;
        }
        if ((typeof source === 'object' && source !== null) || typeof source === 'function') {
          const property = (source as Record<string, unknown>)[info.fieldName];
          return typeof property === 'function'
            ? (source as Record<string, (...a: unknown[]) => unknown>)[info.fieldName]!(args, context, info)
            : property;
        }
        return undefined;
      },
    };
  }
  return {
    ...fieldConfig,
    extensions,
    resolve(source, args, context, info) {
      const denial = check((context as AuthContext | undefined)?.viewer ?? null);
      if (denial !== null) throw denial;
      return own(source, args, context, info);
    },
  };
}
