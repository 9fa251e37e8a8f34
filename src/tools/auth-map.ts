// Tooling, not enforcement: reports who can reach each field (the `gatehouse auth-map` command,
// the README's generated table). It decides nothing of its own: requirements and checks come from
// src/enforcement/directives.ts, role expansion from src/auth/roles.ts.
import {
  getNamedType,
  type GraphQLEnumType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  isAbstractType,
  isEnumType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
} from 'graphql';
import { compileCheck, type FieldRequirement, fieldRequirement, openRootFields, type RequirementSource } from '../enforcement/directives';
import { ROLE_HIERARCHY, rolesOf } from '../auth/roles';
import type { Viewer } from '../auth/viewer';

/** One field reachable from a root type, with what it demands and who can get to it. */
export interface AuthMapEntry {
  /** `Type.field`. */
  readonly coordinate: string;
  /** `public`, `signed in`, or `role ADMIN` (several roles joined with ` + `). */
  readonly requires: string;
  /** Where the requirement comes from, e.g. `@hasRole(role: ADMIN) on field`, or `no directive`. */
  readonly from: string;
  /** The callers (anonymous, then each role) who can reach this field from a root and read it. */
  readonly reachableBy: readonly string[];
}

export interface AuthMap {
  readonly entries: readonly AuthMapEntry[];
  /** Root Query/Mutation/Subscription fields with no directive (strict mode refuses these). */
  readonly openRootFields: readonly string[];
  readonly warnings: readonly string[];
}

const ANONYMOUS = 'anonymous';

function describeRequirement(requirement: FieldRequirement): string {
  if (!requirement.signedIn) return 'public';
  return requirement.roles.length === 0 ? 'signed in' : `role ${requirement.roles.join(' + ')}`;
}

function describeSource(source: RequirementSource): string {
  const directive = source.directive === 'hasRole' ? `@hasRole(role: ${source.role})` : `@${source.directive}`;
  return `${directive} on ${source.on === 'field' ? 'field' : source.on === 'type' ? `type ${source.coordinate}` : source.coordinate}`;
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
  const roleEnum = schema.getType('Role');
  const roles = isEnumType(roleEnum) ? (roleEnum as GraphQLEnumType).getValues().map((v) => v.name) : Object.keys(ROLE_HIERARCHY);
  const callers: Array<{ name: string; viewer: Viewer | null }> = [
    { name: ANONYMOUS, viewer: null },
    ...roles.map((role) => ({ name: role, viewer: { id: `map-${role}`, roles: rolesOf(role), via: 'jwt' as const } })),
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
        who.add(caller.name);
        queue.push(...possibleObjectTypes(schema, getNamedType(field.type)));
      }
    }
  }
  // A field no caller may read is still listed, with nobody reaching it.
  const entries: AuthMapEntry[] = order.map((coordinate) => {
    const { type, field } = fieldsByCoordinate.get(coordinate) as { type: GraphQLObjectType; field: GraphQLField<unknown, unknown> };
    const requirement = requirementOf(type, field.name);
    return {
      coordinate,
      requires: describeRequirement(requirement),
      from: requirement.sources.length === 0 ? 'no directive' : requirement.sources.map(describeSource).join(', '),
      reachableBy: callers.map((c) => c.name).filter((name) => reachable.get(coordinate)?.has(name)),
    };
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
    if (requirement.signedIn && isNonNullType(field.type) && type !== schema.getMutationType()) {
      warnings.push(`${coordinate} is protected but non-null: a denied read nulls its parent too. Make it nullable.`);
    }
    for (const role of requirement.roles) {
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

/** The map as an aligned text table, then open root fields and warnings. */
export function formatAuthMapText(map: AuthMap): string {
  const rows = [
    ['FIELD', 'REQUIRES', 'FROM', 'REACHABLE BY'],
    ...map.entries.map((e) => [e.coordinate, e.requires, e.from, e.reachableBy.join(', ') || 'nobody']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  '));
  if (map.openRootFields.length > 0) lines.push('', `Open root fields (no directive): ${map.openRootFields.join(', ')}`);
  if (map.warnings.length > 0) lines.push('', 'Warnings:', ...map.warnings.map((w) => `- ${w}`));
  return `${lines.join('\n')}\n`;
}

/** The map as a Markdown table, for the README. */
export function formatAuthMapMarkdown(map: AuthMap): string {
  const lines = ['| field | requires | from | reachable by |', '| --- | --- | --- | --- |'];
  for (const e of map.entries) lines.push(`| \`${e.coordinate}\` | ${e.requires} | ${e.from} | ${e.reachableBy.join(', ') || 'nobody'} |`);
  if (map.openRootFields.length > 0) lines.push('', `Open root fields: ${map.openRootFields.map((f) => `\`${f}\``).join(', ')}`);
  if (map.warnings.length > 0) lines.push('', 'Warnings:', '', ...map.warnings.map((w) => `- ${w}`));
  return `${lines.join('\n')}\n`;
}
