// The roles a schema declares: an enum (`Role`, `OrganizationRole`) whose values carry
// `@includes(roles: [...])`, read once at schema build into a RoleCatalog (src/auth/role-catalog.ts
// decides what the declaration means and refuses a bad one). `extend enum Role { … }` declares roles
// exactly like `enum Role`: graphql-js folds extensions into the enum, and their values' `@includes`
// are read the same way. An application that declares no such enum gets gatehouse's default, added
// as SDL (`roleEnumTypeDefs`) so that the directives' `Role` arguments have a type.
import { type DocumentNode, type EnumValueDefinitionNode, type GraphQLSchema, isEnumType, Kind, parse, type ValueNode } from 'graphql';
import { type RoleCatalog, RoleDeclarationError, roleCatalogOf } from '../auth/role-catalog';

/** Role → the roles it names in `@includes`, in declaration order. */
export type RoleIncludes = Readonly<Record<string, readonly string[]>>;

/**
 * The catalog of `enumName` as `schema` declares it; `defaults` when the schema has no such type.
 * `holdsEvery`, when given, names the role that holds every declared role (the contract's ADMIN):
 * it includes every other value without listing them, and no other role may include it.
 * Throws RoleDeclarationError naming the enum and the role at fault.
 */
export function readRoleCatalog(
  schema: GraphQLSchema,
  enumName: string,
  defaults: RoleIncludes,
  required: readonly string[],
  holdsEvery?: string,
): RoleCatalog {
  const type = schema.getType(enumName);
  if (type === undefined || type === null) return catalogOf(enumName, defaults, required, holdsEvery);
  if (!isEnumType(type))
    throw new RoleDeclarationError(`${enumName} must be an enum (enum ${enumName} { … }), not a ${type.astNode?.kind ?? 'type'}.`);
  const includes: Record<string, readonly string[]> = {};
  for (const value of type.getValues()) includes[value.name] = includedRoles(enumName, value.name, value.astNode ?? undefined);
  return catalogOf(enumName, includes, required, holdsEvery);
}

function catalogOf(enumName: string, includes: RoleIncludes, required: readonly string[], holdsEvery: string | undefined): RoleCatalog {
  if (holdsEvery === undefined || !(holdsEvery in includes)) return roleCatalogOf(enumName, includes, required);
  const above = Object.keys(includes).filter((role) => role !== holdsEvery && includes[role]?.includes(holdsEvery));
  if (above.length > 0) {
    throw new RoleDeclarationError(
      `enum ${enumName}: ${above.join(', ')} @includes ${holdsEvery}, but ${holdsEvery} holds every declared role, so nothing may include it.`,
    );
  }
  const all = { ...includes, [holdsEvery]: Object.keys(includes).filter((role) => role !== holdsEvery) };
  return roleCatalogOf(enumName, all, required);
}

/** The role names of one value's `@includes(roles: …)`: enum values (`[USER]`) or strings (`["USER"]`). */
function includedRoles(enumName: string, role: string, node: EnumValueDefinitionNode | undefined): readonly string[] {
  const names: string[] = [];
  for (const directive of node?.directives ?? []) {
    if (directive.name.value !== 'includes') continue;
    for (const argument of directive.arguments ?? []) {
      if (argument.name.value === 'roles') names.push(...roleNames(enumName, role, argument.value));
    }
  }
  return names;
}

function roleNames(enumName: string, role: string, value: ValueNode): string[] {
  if (value.kind === Kind.LIST) return value.values.flatMap((item) => roleNames(enumName, role, item));
  if (value.kind === Kind.ENUM || value.kind === Kind.STRING) return [value.value];
  throw new RoleDeclarationError(
    `enum ${enumName}: ${role} @includes(roles: …) must list values of enum ${enumName}, e.g. @includes(roles: [USER]).`,
  );
}

/** The SDL declaring `enumName` with `includes`, e.g. `enum Role { USER ADMIN @includes(roles: [USER]) }`. */
export function roleEnumTypeDefs(enumName: string, includes: RoleIncludes, description?: string): string {
  const values = Object.entries(includes).map(([role, included]) =>
    included.length === 0 ? `  ${role}` : `  ${role} @includes(roles: [${included.join(', ')}])`,
  );
  return `${description === undefined ? '' : `${JSON.stringify(description)}\n`}enum ${enumName} {\n${values.join('\n')}\n}\n`;
}

/** True when some of `typeDefs` defines `enum <enumName>` (an `extend enum` alone does not). */
export function declaresEnum(typeDefs: readonly (string | DocumentNode)[], enumName: string): boolean {
  return typeDefs.some((typeDef) =>
    (typeof typeDef === 'string' ? parse(typeDef, { noLocation: true }) : typeDef).definitions.some(
      (definition) => definition.kind === Kind.ENUM_TYPE_DEFINITION && definition.name.value === enumName,
    ),
  );
}
