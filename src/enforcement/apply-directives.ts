// Enforces each field's requirement in its resolver: the schema applyAuthDirectives returns checks
// `context.viewer` before the field's own resolver (or graphql's default one) runs, and, for `@owner`,
// the object the field is used on. It records each requirement on its field (requirements.ts) for the
// operation gate, the visible schema and the auth map. In strict mode a schema that leaves a root
// field without any directive is refused at start-up (AuthCoverageError).
import {
  defaultFieldResolver,
  GraphQLError,
  type GraphQLFieldConfig,
  type GraphQLSchema,
  getNullableType,
  isInterfaceType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import type { AuthContext, Viewer } from '../auth/viewer';
import { compileCheck, compileOwnerCheck } from './checks';
import { isFederationRootField } from './federation';
import { compileOrganizationCheck, type OrganizationRule } from './organizations';
import { type Denial, denialOf } from './denials';
import { loadOwned, type OwnedObjectLoader, type OwnerRule } from './ownership';
import { guardPolicies, policyPrimingPlan, withListPriming } from './policy-guard';
import { type Policies, UnknownPolicyError } from './policies';
import { type FieldRequirement, fieldRequirement, GUARDED_EXTENSION, guardedRequirement, OWNED_LOADER_EXTENSION } from './requirements';
import { argumentPlan, readArgumentPlan } from './argument-rules';
import { servedArguments, servedInputField, withArgumentRules } from './argument-guard';

export interface ApplyAuthDirectivesOptions {
  /**
   * Refuse a schema in which a root `Query`, `Mutation` or `Subscription` field carries none of
   * gatehouse's directives (on the field or its root type): every root field says who may use it,
   * if only `@public`. Default true.
   */
  readonly strict?: boolean;
  /**
   * Loaders for the types that root fields' `@owner(loads: …)` name, by type name. A schema that
   * names a type without a loader is refused.
   */
  readonly loaders?: Readonly<Record<string, OwnedObjectLoader>>;
  /**
   * The functions `@policy` names, by name. When given, a schema naming a policy not among them is
   * refused (UnknownPolicyError); when absent, names are not checked and a policy without a function
   * denies (fail closed) and is logged.
   */
  readonly policies?: Policies;
  /**
   * Told of every request a rule beside `@reportOnly` (on a type, field, argument or input field)
   * would have refused (and the enforced rules let through), with the request's context; the field
   * is answered as if the rule were not there.
   * gatehouse logs and counts these (src/graphql/denial-reports.ts). Default: nothing is told.
   */
  readonly onWouldDeny?: (denial: Denial, context: unknown) => void;
}

/** The schema leaves a root field open without saying so; thrown by applyAuthDirectives in strict mode. */
export class AuthCoverageError extends Error {
  override readonly name = 'AuthCoverageError';
  constructor(readonly openFields: readonly string[]) {
    super(
      `Strict auth: ${openFields.length} root field(s) have no @public, @auth, @hasRole, @requiresScopes, @credentials, @owner, @inOrganization or @policy: ${openFields.join(', ')}. ` +
        'Mark each one, or turn strict mode off.',
    );
  }
}

/**
 * Root fields that carry none of gatehouse's directives (on the field or its root type), as
 * `Type.field`. A subgraph's `_service` and `_entities` are open by design (federation.ts).
 */
export function openRootFields(schema: GraphQLSchema): string[] {
  const open: string[] = [];
  for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (!root) continue;
    for (const name of Object.keys(root.getFields())) {
      if (isFederationRootField(schema, root.name, name)) continue;
      if (!fieldRequirement(schema, root, name).declared) open.push(`${root.name}.${name}`);
    }
  }
  return open;
}

/**
 * Returns `schema` with every field's requirement (`@auth`, `@hasRole`, `@requiresScopes`,
 * `@credentials`, `@owner`) enforced in the resolvers, including fields that use the default resolver. The check reads `context.viewer`, runs synchronously and
 * returns the original resolver's value untouched (a synchronous resolver stays synchronous).
 * A denied field resolves to an error at its path: UNAUTHENTICATED for an anonymous caller,
 * FORBIDDEN for a signed-in one. Introspection is never guarded.
 */
export function applyAuthDirectives(schema: GraphQLSchema, options: ApplyAuthDirectivesOptions = {}): GraphQLSchema {
  if (options.strict ?? true) {
    // A rule beside @reportOnly does not count: it denies nothing (requirements.ts `declared`).
    const open = openRootFields(schema);
    if (open.length > 0) throw new AuthCoverageError(open);
  }
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].map((t) => t?.name));
  const policyNames = new Map<string, string>(); // name -> first coordinate naming it
  const priming = policyPrimingPlan(schema, options.policies);
  const enforced = mapSchema(schema, {
    [MapperKind.INPUT_OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => servedInputField(schema, fieldConfig, fieldName, typeName),
    // An interface's field resolves nothing, but its arguments must match its implementations'
    // (a @fromViewer one is served optional there).
    [MapperKind.INTERFACE_FIELD]: (fieldConfig, fieldName, typeName) => {
      const type = schema.getType(typeName);
      const plan = isInterfaceType(type) ? readArgumentPlan(schema, typeName, type.getFields()[fieldName]!) : null;
      return plan === null ? fieldConfig : { ...fieldConfig, args: servedArguments(fieldConfig, plan) };
    },
    [MapperKind.OBJECT_FIELD]: (unprimed, fieldName, typeName) => {
      if (guardedRequirement(unprimed) !== undefined || argumentPlan(unprimed) !== undefined) return unprimed;
      const original = withListPriming(unprimed, priming, options.policies);
      const type = schema.getType(typeName);
      if (!isObjectType(type)) return original;
      const plan = readArgumentPlan(schema, typeName, type.getFields()[fieldName]!);
      // Arguments are checked after the field's own rules, just before its resolver.
      const fieldConfig = plan === null ? original : withArgumentRules(original, plan, options.onWouldDeny);
      const requirement = fieldRequirement(schema, type, fieldName);
      const reported = requirement.reportOnly ?? null;
      if (!requirement.signedIn && requirement.owner === null && requirement.policies.length === 0 && reported === null) return fieldConfig;
      const coordinate = `${typeName}.${fieldName}`;
      for (const name of requirement.policies.flat(2)) if (!policyNames.has(name)) policyNames.set(name, coordinate);
      const onRoot = roots.has(typeName);
      const guarded = enforce(fieldConfig, requirement, coordinate, onRoot, options);
      if (reported === null) return guarded;
      // The reported rules run through the very guard an enforced rule gets, around a resolver
      // that does nothing: what it would throw is reported instead.
      const dryRun = enforce({ ...fieldConfig, resolve: () => null }, reported, coordinate, onRoot, options);
      return reportWouldDeny(guarded, dryRun, compileCheck(requirement, coordinate), options.onWouldDeny);
    },
  });
  const defined = options.policies;
  if (defined !== undefined) {
    const unknown = [...policyNames]
      .filter(([name]) => !Object.hasOwn(defined, name))
      .map(([policy, coordinate]) => ({ policy, coordinate }));
    if (unknown.length > 0) throw new UnknownPolicyError(unknown);
  }
  return enforced;
}

/** `fieldConfig` with `requirement` enforced: the static check, then (with `@owner`) the object's. */
function enforce(
  fieldConfig: GraphQLFieldConfig<unknown, unknown>,
  requirement: FieldRequirement,
  coordinate: string,
  onRoot: boolean,
  options: ApplyAuthDirectivesOptions,
): GraphQLFieldConfig<unknown, unknown> {
  const check = compileCheck(requirement, coordinate);
  // The policy runs last, after the rest of the requirement let the caller through.
  const withPolicies = guardPolicies(fieldConfig, requirement, coordinate, onRoot, options.policies);
  const organizationCheck = organizationCheckFor(fieldConfig, requirement.organizations, coordinate, onRoot, requirement.sources);
  const guarded = guardField(withPolicies, requirement, check, organizationCheck);
  if (requirement.owner === null) return guarded;
  const ownerCheck = compileOwnerCheck(requirement, coordinate)!;
  return guardOwnership(guarded, requirement.owner, check, ownerCheck, coordinate, onRoot, options);
}

/**
 * Runs `dryRun` (the reported rules' guard) before the field, for callers the enforced rules let
 * through, and tells `onWouldDeny` of a denial it throws or rejects with; the field's own answer
 * is never changed. A dry run that fails otherwise (a loader's outage) reports nothing.
 */
function reportWouldDeny(
  guarded: GraphQLFieldConfig<unknown, unknown>,
  dryRun: GraphQLFieldConfig<unknown, unknown>,
  enforcedCheck: (viewer: Viewer | null) => GraphQLError | null,
  onWouldDeny: ApplyAuthDirectivesOptions['onWouldDeny'],
): GraphQLFieldConfig<unknown, unknown> {
  const resolve = guarded.resolve!;
  const dry = dryRun.resolve!;
  if (onWouldDeny === undefined) return guarded;
  const report = (error: unknown, context: unknown) => {
    const denial = error instanceof GraphQLError ? denialOf(error) : null;
    if (denial !== null) onWouldDeny(denial, context);
  };
  return {
    ...guarded,
    resolve(source, args, context, info) {
      if (enforcedCheck((context as AuthContext | undefined)?.viewer ?? null) === null) {
        try {
          const outcome = dry(source, args, context, info) as unknown;
          if (outcome instanceof Promise) outcome.then(undefined, (error: unknown) => report(error, context));
        } catch (error) {
          report(error, context);
        }
      }
      return resolve(source, args, context, info);
    },
  };
}

/**
 * The loader a root field's `@owner(loads: …)` needs, or a clear refusal of the schema. The id
 * argument must exist and hold one ID or String: the check runs only on a string id, so an argument
 * of another type, or a misspelt name, would let every caller through unchecked.
 */
function loaderFor(
  rule: OwnerRule,
  coordinate: string,
  fieldConfig: GraphQLFieldConfig<unknown, unknown>,
  options: ApplyAuthDirectivesOptions,
): OwnedObjectLoader {
  const loader = rule.loads === null ? undefined : options.loaders?.[rule.loads];
  if (rule.loads === null) throw new TypeError(`${coordinate}: @owner on a root field must name the type it loads (loads: "…").`);
  const argument = fieldConfig.args?.[rule.idArgument];
  const argumentType = argument === undefined ? undefined : getNullableType(argument.type);
  if (!isScalarType(argumentType) || (argumentType.name !== 'ID' && argumentType.name !== 'String'))
    throw new TypeError(
      `${coordinate}: @owner(loads: "${rule.loads}") reads the id from argument "${rule.idArgument}", which must be an argument ` +
        'of type ID or String (name another with idArgument).',
    );
  if (loader === undefined)
    throw new TypeError(`${coordinate}: @owner(loads: "${rule.loads}") needs a loader for ${rule.loads} (the loaders option).`);
  return loader;
}

/**
 * Adds the ownership check after the static one. On an object's field it reads the parent; on a
 * root field it loads the object the id argument names (shared with the operation gate, once per
 * request) and lets an id that names nothing through to the resolver, which answers NOT_FOUND.
 */
function guardOwnership(
  fieldConfig: GraphQLFieldConfig<unknown, unknown>,
  rule: OwnerRule,
  staticCheck: (viewer: Viewer | null) => GraphQLError | null,
  check: (viewer: Viewer | null, object: object) => GraphQLError | null,
  coordinate: string,
  onRoot: boolean,
  options: ApplyAuthDirectivesOptions,
): GraphQLFieldConfig<unknown, unknown> {
  const inner = fieldConfig.resolve!;
  if (!onRoot) {
    // Checking the parent instead of the object `loads` names would be a check of another object.
    if (rule.loads !== null)
      throw new TypeError(
        `${coordinate}: @owner(loads: "${rule.loads}") is for root fields; on an object's field the object is the parent.`,
      );
    return {
      ...fieldConfig,
      resolve(source, args, context, info) {
        if (typeof source === 'object' && source !== null) {
          const denial = check((context as AuthContext | undefined)?.viewer ?? null, source);
          if (denial !== null) throw denial;
        }
        return inner(source, args, context, info);
      },
    };
  }
  const loader = loaderFor(rule, coordinate, fieldConfig, options);
  const extensions = { ...fieldConfig.extensions, [OWNED_LOADER_EXTENSION]: loader };
  return {
    ...fieldConfig,
    extensions,
    async resolve(source, args, context, info) {
      const viewer = (context as AuthContext | undefined)?.viewer ?? null;
      // The rest of the requirement first: an anonymous caller costs no load.
      const refused = staticCheck(viewer);
      if (refused !== null) throw refused;
      const id = (args as Record<string, unknown>)[rule.idArgument];
      if (typeof id === 'string' && typeof context === 'object' && context !== null) {
        const object = await loadOwned(context, rule.loads!, loader, id);
        if (object !== null) {
          const denial = check(viewer, object);
          if (denial !== null) throw denial;
        }
      }
      return inner(source, args, context, info);
    },
  };
}

/**
 * The `@inOrganization` decision of a field (organizations.ts), or null when it has none: the
 * organization id is the parent's property, or the field's argument. A root field has no parent: its
 * rule must name an argument, and one that does not exist would let every caller through unchecked.
 */
function organizationCheckFor(
  fieldConfig: GraphQLFieldConfig<unknown, unknown>,
  rules: readonly OrganizationRule[],
  coordinate: string,
  onRoot: boolean,
  sources: FieldRequirement['sources'],
): OrganizationCheck | null {
  for (const rule of rules) {
    if (rule.argument === null && onRoot)
      throw new TypeError(
        `${coordinate}: @inOrganization on a root field must name the argument holding the organization id (argument: "…").`,
      );
    const argumentType = rule.argument === null ? undefined : getNullableType(fieldConfig.args?.[rule.argument]?.type);
    if (rule.argument !== null && (!isScalarType(argumentType) || (argumentType.name !== 'ID' && argumentType.name !== 'String')))
      throw new TypeError(`${coordinate}: @inOrganization(argument: "${rule.argument}") must name an argument of type ID or String.`);
  }
  return compileOrganizationCheck(rules, coordinate, (rule) => sources.find((s) => s.organization === rule)?.rule ?? null);
}

type OrganizationCheck = NonNullable<ReturnType<typeof compileOrganizationCheck>>;

/**
 * Runs the static check before the field's resolver, or graphql's default one for a plain property.
 * A signed-in viewer passes a requirement of "signed in" alone without calling the compiled check.
 */
function guardField(
  fieldConfig: GraphQLFieldConfig<unknown, unknown>,
  requirement: FieldRequirement,
  check: (viewer: Viewer | null) => GraphQLError | null,
  organizationCheck: OrganizationCheck | null = null,
): GraphQLFieldConfig<unknown, unknown> {
  const resolve = fieldConfig.resolve ?? defaultFieldResolver;
  const moreThanSignedIn = requirement.roles.length > 0 || requirement.kinds !== null || requirement.scopes.length > 0;
  const extensions = { ...fieldConfig.extensions, [GUARDED_EXTENSION]: requirement };
  if (organizationCheck !== null)
    return {
      ...fieldConfig,
      extensions,
      resolve(source, args, context, info) {
        const viewer = (context as AuthContext | undefined)?.viewer ?? null;
        const denial = (viewer === null || moreThanSignedIn ? check(viewer) : null) ?? organizationCheck(viewer, source, args);
        if (denial !== null) throw denial;
        return resolve(source, args, context, info);
      },
    };
  // Nothing to check before the field's own decisions (an @owner or @policy alone): no wrapper.
  if (!requirement.signedIn) return { ...fieldConfig, resolve, extensions };
  return {
    ...fieldConfig,
    extensions,
    resolve(source, args, context, info) {
      const viewer = (context as AuthContext | undefined)?.viewer ?? null;
      if (viewer === null || moreThanSignedIn) {
        const denial = check(viewer);
        if (denial !== null) throw denial;
      }
      return resolve(source, args, context, info);
    },
  };
}
