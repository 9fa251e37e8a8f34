// Whether a schema served in place of the one applyAuthDirectives returned still enforces what it
// declares. A team that builds its Apollo schema from gatehouse's (`mergeSchemas({ schemas:
// [g.schema], typeDefs, resolvers })`, say) keeps gatehouse's fields enforced, but the fields it adds
// are not: an added root field with no directive is served open whatever strict mode says, and one
// written `@auth` is served to anyone, the directive read by nothing (seen 2026-12-06). These
// functions name such fields, so that the server refuses to start. Pure graphql-js.
import { type GraphQLSchema, isObjectType } from 'graphql';
import { openRootFields } from './apply-directives';
import { fieldRequirement, guardedRequirement } from './requirements';

/** `Type.field` of every field whose directives demand something its resolver does not check. */
export function unenforcedFields(schema: GraphQLSchema): string[] {
  const found: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const [name, field] of Object.entries(type.getFields())) {
      if (guardedRequirement(field) !== undefined) continue;
      const requirement = fieldRequirement(schema, type, name);
      if (requirement.signedIn || requirement.owner !== null || requirement.policies.length > 0) found.push(`${type.name}.${name}`);
    }
  }
  return found;
}

/** What is wrong with `served` as a stand-in for gatehouse's schema, or null when nothing is. */
export function servedSchemaProblem(served: GraphQLSchema, strict: boolean): string | null {
  const unenforced = unenforcedFields(served);
  if (unenforced.length > 0)
    return (
      `${unenforced.join(', ')} declare${unenforced.length === 1 ? 's' : ''} gatehouse rules that the served schema does not enforce ` +
      '(added after gatehouse built its schema). Give these types and fields to gatehouse (typeDefs, resolvers) instead.'
    );
  const open = strict ? openRootFields(served) : [];
  if (open.length > 0)
    return (
      `${open.join(', ')}: root field(s) with no rule in the served schema (added after gatehouse built its schema, so strict mode ` +
      'never saw them). Give them to gatehouse (typeDefs, resolvers) with a rule, or @public.'
    );
  return null;
}
