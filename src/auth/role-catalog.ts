/**
 * What a declared set of roles means: which roles exist, which include which, and the one
 * membership test. Generic over the enum it comes from (`Role`, `OrganizationRole`): it knows
 * names and `@includes` edges, nothing about GraphQL (the schema is read by
 * src/enforcement/declared-roles.ts) and nothing about the store.
 *
 * The declaration is checked once, when the catalog is made: every name an `@includes` gives is
 * declared, the required roles exist, and no role includes itself through any chain (a cycle would
 * make "the most senior role" meaningless and is how inherited roles bypass rules elsewhere,
 * hasura#10711). Each role's expansion is computed then, so `expand` and `holds` allocate nothing
 * on a request.
 *
 * A role that is not declared (a hand-built viewer, or a stored role an application has since
 * removed) includes nothing: it is only ever itself.
 */

/** The roles an application declared for one enum, and what holding one means. */
export interface RoleCatalog {
  /** Declared values, declaration order. */
  readonly roles: readonly string[];
  /** `role`, then every role it includes transitively, each once. */
  expand(role: string): readonly string[];
  /** The union of `expand()` over `granted`, each once. */
  expandAll(granted: readonly string[]): readonly string[];
  /** True when any of `held` is `required` or includes it. */
  holds(held: readonly string[], required: string): boolean;
  /** The one granted role that includes every other, or undefined (none does, or `granted` is empty). */
  senior(granted: readonly string[]): string | undefined;
}

/** A declaration that cannot stand: an `@includes` cycle, an unknown name, a required role missing. */
export class RoleDeclarationError extends Error {
  override readonly name = 'RoleDeclarationError';
}

/**
 * The catalog of `enumName`'s roles. `includes` maps each declared role (its keys, in declaration
 * order) to the roles it names in `@includes`; `required` are the roles that must be declared.
 * Throws RoleDeclarationError naming the enum and the role at fault.
 */
export function roleCatalogOf(
  enumName: string,
  includes: Readonly<Record<string, readonly string[]>>,
  required: readonly string[],
): RoleCatalog {
  const roles = Object.freeze(Object.keys(includes));
  checkDeclaration(enumName, roles, includes, required);
  const expansions = new Map<string, readonly string[]>();
  for (const role of roles) expansions.set(role, expansionOf(role, includes));
  return new DeclaredRoles(roles, expansions);
}

function checkDeclaration(
  enumName: string,
  roles: readonly string[],
  includes: Readonly<Record<string, readonly string[]>>,
  required: readonly string[],
): void {
  const missing = required.filter((role) => !roles.includes(role));
  if (missing.length > 0) {
    throw new RoleDeclarationError(
      `enum ${enumName} must declare ${missing.join(' and ')} (gatehouse relies on ${required.join(', ')}); declared: ${roles.join(', ') || 'none'}.`,
    );
  }
  for (const role of roles) {
    for (const included of includes[role] ?? []) {
      if (!roles.includes(included)) {
        throw new RoleDeclarationError(
          `enum ${enumName}: ${role} @includes ${included}, which is not a value of enum ${enumName} (declared: ${roles.join(', ')}).`,
        );
      }
    }
  }
  const cycle = findCycle(roles, includes);
  if (cycle !== undefined) {
    throw new RoleDeclarationError(
      `enum ${enumName}: @includes forms a cycle: ${cycle.join(' includes ')}. A role may not include itself.`,
    );
  }
}

/** A chain of roles that leads back to its first, e.g. ['A', 'B', 'A'], or undefined. */
function findCycle(roles: readonly string[], includes: Readonly<Record<string, readonly string[]>>): string[] | undefined {
  const done = new Set<string>();
  const visit = (role: string, path: string[]): string[] | undefined => {
    const at = path.indexOf(role);
    if (at >= 0) return [...path.slice(at), role];
    if (done.has(role)) return undefined;
    for (const included of includes[role] ?? []) {
      const cycle = visit(included, [...path, role]);
      if (cycle !== undefined) return cycle;
    }
    done.add(role);
    return undefined;
  };
  for (const role of roles) {
    const cycle = visit(role, []);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

/** `role` and every role it reaches through `includes`, breadth first, each once. */
function expansionOf(role: string, includes: Readonly<Record<string, readonly string[]>>): readonly string[] {
  const reached = [role];
  for (let i = 0; i < reached.length; i++) {
    for (const included of includes[reached[i] as string] ?? []) if (!reached.includes(included)) reached.push(included);
  }
  return Object.freeze(reached);
}

class DeclaredRoles implements RoleCatalog {
  constructor(
    readonly roles: readonly string[],
    private readonly expansions: ReadonlyMap<string, readonly string[]>,
  ) {
    Object.freeze(this);
  }

  expand(role: string): readonly string[] {
    return this.expansions.get(role) ?? Object.freeze([role]);
  }

  expandAll(granted: readonly string[]): readonly string[] {
    if (granted.length === 1) return this.expand(granted[0] as string);
    const all = new Set<string>();
    for (const role of granted) for (const reached of this.expand(role)) all.add(reached);
    return Object.freeze([...all]);
  }

  holds(held: readonly string[], required: string): boolean {
    // Expanded roles (every viewer built at authentication) match on this first, allocation-free test.
    if (held.includes(required)) return true;
    for (const role of held) if (this.expansions.get(role)?.includes(required)) return true;
    return false;
  }

  senior(granted: readonly string[]): string | undefined {
    return granted.find((role) => granted.every((other) => other === role || this.expansions.get(role)?.includes(other) === true));
  }
}
