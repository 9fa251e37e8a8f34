// gatehouse's account SDL against the enums an application declares itself. `enum Role` and `enum
// OrganizationRole` in gatehouse's SDL are defaults: an application that declares its own replaces it (it must have
// MEMBER and OWNER; src/enforcement/organizations.ts refuses one without). gatehouse's own fields that
// ask for an organization's ADMIN (addMember, setMemberRole) then ask for OWNER when the
// application's roles have no ADMIN, as the organization service does (src/services/organizations.ts).
import { type DocumentNode, Kind, parse, visit } from 'graphql';
import { declaresEnum } from '../enforcement/declared-roles';

/** Enums of gatehouse's account schema that are defaults an application may replace. */
const DEFAULT_ENUMS = ['Role', 'OrganizationRole'] as const;

/** The values the application's typeDefs give `enumName` (its definition and extensions). */
function declaredValues(typeDefs: readonly (string | DocumentNode)[], enumName: string): Set<string> {
  const values = new Set<string>();
  for (const typeDef of typeDefs) {
    const document = typeof typeDef === 'string' ? parse(typeDef, { noLocation: true }) : typeDef;
    for (const definition of document.definitions) {
      if (
        (definition.kind === Kind.ENUM_TYPE_DEFINITION || definition.kind === Kind.ENUM_TYPE_EXTENSION) &&
        definition.name.value === enumName
      )
        for (const value of definition.values ?? []) values.add(value.name.value);
    }
  }
  return values;
}

/** gatehouse's SDL without the default enums the application declares itself, adjusted to the roles it declares. */
export function withoutDeclaredEnums(
  account: readonly string[],
  appTypeDefs: readonly (string | DocumentNode)[],
): (string | DocumentNode)[] {
  const replaced = DEFAULT_ENUMS.filter((name) => declaresEnum(appTypeDefs, name));
  if (replaced.length === 0) return [...account];
  const noAdmin =
    (replaced as readonly string[]).includes('OrganizationRole') && !declaredValues(appTypeDefs, 'OrganizationRole').has('ADMIN');
  return account.map((sdl) => {
    const document = parse(sdl);
    const kept = {
      ...document,
      definitions: document.definitions.filter(
        (d) => !(d.kind === Kind.ENUM_TYPE_DEFINITION && (replaced as readonly string[]).includes(d.name.value)),
      ),
    };
    if (!noAdmin) return kept;
    return visit(kept, {
      Directive(node) {
        if (node.name.value !== 'inOrganization') return undefined;
        const args = node.arguments?.map((arg) =>
          arg.name.value === 'role' && arg.value.kind === Kind.ENUM && arg.value.value === 'ADMIN'
            ? { ...arg, value: { ...arg.value, value: 'OWNER' } }
            : arg,
        );
        return { ...node, arguments: args };
      },
    });
  });
}
