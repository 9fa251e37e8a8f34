// Whether a schema served in place of the one applyAuthDirectives returned still enforces what it
// declares. A team that builds its Apollo schema from gatehouse's (`mergeSchemas({ schemas:
// [g.schema], typeDefs, resolvers })`, say) keeps gatehouse's fields enforced, but the fields it adds
// are not: an added root field with no directive is served open whatever strict mode says, and one
// written `@auth` is served to anyone, the directive read by nothing (seen 2026-12-06). So is a rule
// on an added field's argument, and a field of gatehouse's whose resolver the team's `resolvers`
// replaced: the guard was that resolver, the rule's marks stay (seen 2026-12-06: `Query.users`
// answered an anonymous caller). These functions name such fields, so that the server refuses to
// start. Pure graphql-js.
import { type GraphQLField, type GraphQLSchema, isObjectType } from 'graphql';
import { openRootFields } from './apply-directives';
import { argumentPlan, readArgumentPlan } from './argument-rules';
import { fieldRequirement, guardedRequirement } from './requirements';

/** Whether `field` of `typeName` in `served` runs the resolver (and subscribe) gatehouse gave it in `enforced`. */
function keepsGuard(enforced: GraphQLSchema, typeName: string, field: GraphQLField<unknown, unknown>): boolean {
  const type = enforced.getType(typeName);
  const own = isObjectType(type) ? type.getFields()[field.name] : undefined;
  return own !== undefined && own.resolve === field.resolve && own.subscribe === field.subscribe;
}

/**
 * `Type.field` of every field whose directives demand something its resolver does not check:
 * rules on it, its type or its arguments with no guard, or a guard of `enforced` (the schema
 * gatehouse built; by default `schema` itself) replaced.
 */
export function unenforcedFields(schema: GraphQLSchema, enforced: GraphQLSchema = schema): string[] {
  const found: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const [name, field] of Object.entries(type.getFields())) {
      const guarded = guardedRequirement(field) !== undefined || argumentPlan(field) !== undefined;
      if (guarded ? !keepsGuard(enforced, type.name, field) : declaresRules(schema, type.name, field)) found.push(`${type.name}.${name}`);
    }
  }
  return found;
}

/** A field with no guard whose own, type's or arguments' directives demand something. */
function declaresRules(schema: GraphQLSchema, typeName: string, field: GraphQLField<unknown, unknown>): boolean {
  const type = schema.getType(typeName);
  if (!isObjectType(type)) return false;
  const requirement = fieldRequirement(schema, type, field.name);
  if (requirement.signedIn || requirement.owner !== null || requirement.policies.length > 0) return true;
  return readArgumentPlan(schema, typeName, field) !== null;
}

/** What is wrong with `served` as a stand-in for `enforced`, gatehouse's schema, or null when nothing is. */
export function servedSchemaProblem(served: GraphQLSchema, strict: boolean, enforced: GraphQLSchema): string | null {
  const unenforced = unenforcedFields(served, enforced);
  if (unenforced.length > 0)
    return (
      `${unenforced.join(', ')} declare${unenforced.length === 1 ? 's' : ''} gatehouse rules that the served schema does not enforce ` +
      "(added after gatehouse built its schema, or given a resolver in place of gatehouse's). Give these types, fields and resolvers to gatehouse (typeDefs, resolvers) instead."
    );
  const open = strict ? openRootFields(served) : [];
  if (open.length > 0)
    return (
      `${open.join(', ')}: root field(s) with no rule in the served schema (added after gatehouse built its schema, so strict mode ` +
      'never saw them). Give them to gatehouse (typeDefs, resolvers) with a rule, or @public.'
    );
  return null;
}
