// Tooling, not enforcement: reports who can reach each field (the `gatehouse auth-map` command,
// the generated table of docs/protecting-fields.md). It decides nothing of its own: requirements
// and checks come from src/enforcement/requirements.ts and checks.ts, role expansion from
// src/auth/roles.ts.
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
import { compileCheck } from '../enforcement/checks';
import { type FieldRequirement, fieldRequirement, type RequirementSource } from '../enforcement/requirements';
import { openRootFields } from '../enforcement/apply-directives';
import { holdsRole, ROLES, rolesOf } from '../auth/roles';
import type { CredentialKind, Viewer } from '../auth/viewer';

/** One field reachable from a root type, with what it demands and who can get to it. */
export interface AuthMapEntry {
  /** `Type.field`. */
  readonly coordinate: string;
  /**
   * `public`, `signed in`, or `role ADMIN` (several roles joined with ` + `), followed by what else
   * applies, each after ` + `: `scopes a and b or c`, `not via API_KEY` (the kinds refused), `owner
   * (authorId) or ADMIN`.
   */
  readonly requires: string;
  /** Where the requirement comes from, e.g. `@hasRole(role: ADMIN) on field`, or `no directive`. */
  readonly from: string;
  /**
   * The callers (anonymous, then each role, signed in with a gatehouse session, which holds every
   * scope) who can reach this field from a root and read it. `USER (owner)`: only on objects that
   * caller owns.
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
  /** `@owner`: the property holding the owner's id, the role that passes anyway, and on a root field the type loaded. */
  readonly owner?: {
    readonly field: string;
    readonly orRole: string | null;
    readonly loads: string | null;
    /** Present when objects with this property value are open to anyone. */
    readonly openWhen?: { readonly field: string; readonly value: string };
  };
}

export interface AuthMap {
  readonly entries: readonly AuthMapEntry[];
  /** Root Query/Mutation/Subscription fields with no directive (strict mode refuses these). */
  readonly openRootFields: readonly string[];
  readonly warnings: readonly string[];
}

const ANONYMOUS = 'anonymous';

/** The CredentialKind enum value of each Viewer.via. */
const KIND_ENUM: Readonly<Record<CredentialKind, string>> = { jwt: 'JWT', 'api-key': 'API_KEY', external: 'EXTERNAL' };

function describeRequirement(requirement: FieldRequirement): string {
  const parts: string[] = [];
  if (requirement.signedIn) parts.push(requirement.roles.length === 0 ? 'signed in' : `role ${requirement.roles.join(' + ')}`);
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
  return parts.length === 0 ? 'public' : parts.join(' + ');
}

function describeSource(source: RequirementSource): string {
  let directive = `@${source.directive}`;
  if (source.directive === 'hasRole') directive = `@hasRole(role: ${source.role})`;
  if (source.scopes !== undefined) directive = `@requiresScopes(scopes: ${JSON.stringify(source.scopes)})`;
  if (source.kinds !== undefined) directive = `@credentials(allow: [${source.kinds.map((k) => KIND_ENUM[k]).join(', ')}])`;
  if (source.owner !== undefined) {
    const { field, orRole, loads, openWhen } = source.owner;
    const args = [
      ...(loads === null ? [] : [`loads: "${loads}"`]),
      `field: "${field}"`,
      ...(orRole === null ? [] : [`orRole: ${orRole}`]),
      ...(openWhen === null ? [] : [`openWhen: "${openWhen.field}"`, `openValue: "${openWhen.value}"`]),
    ];
    directive = `@owner(${args.join(', ')})`;
  }
  const where = source.on === 'field' ? 'field' : source.on === 'type' ? `type ${source.coordinate}` : source.coordinate;
  return `${directive} on ${where}${source.reportOnly ? ' (report only)' : ''}`;
}

/** The structured parts of a requirement for the JSON form; only those that apply. */
function requirementDetail(requirement: FieldRequirement): Pick<AuthMapEntry, 'scopes' | 'credentials' | 'owner'> {
  const owner = requirement.owner;
  return {
    ...(requirement.scopes.length > 0 ? { scopes: requirement.scopes } : {}),
    ...(requirement.kinds !== null ? { credentials: requirement.kinds.map((k) => KIND_ENUM[k]) } : {}),
    ...(owner !== null
      ? {
          owner: {
            field: owner.field,
            orRole: owner.orRole,
            loads: owner.loads,
            ...(owner.openWhen === null ? {} : { openWhen: owner.openWhen }),
          },
        }
      : {}),
  };
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
  const roles = isEnumType(roleEnum) ? (roleEnum as GraphQLEnumType).getValues().map((v) => v.name) : ROLES;
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
        const owner = requirement.owner;
        const ownsOnly =
          owner !== null && (owner.orRole === null || caller.viewer === null || !holdsRole(caller.viewer.roles, owner.orRole));
        const label = owner?.openWhen ? ` (owner, or ${owner.openWhen.field} ${owner.openWhen.value})` : ' (owner)';
        who.add(ownsOnly ? `${caller.name}${label}` : caller.name);
        queue.push(...possibleObjectTypes(schema, getNamedType(field.type)));
      }
    }
  }
  // A field no caller may read is still listed, with nobody reaching it.
  const entries: AuthMapEntry[] = order.map((coordinate) => {
    const { type, field } = fieldsByCoordinate.get(coordinate) as { type: GraphQLObjectType; field: GraphQLField<unknown, unknown> };
    const requirement = requirementOf(type, field.name);
    const reported = requirement.reportOnly ?? null;
    const sources = [...requirement.sources, ...(reported?.sources ?? [])];
    return {
      coordinate,
      requires: describeRequirement(requirement) + (reported === null ? '' : ` (report only: ${describeRequirement(reported)})`),
      from: sources.length === 0 ? 'no directive' : sources.map(describeSource).join(', '),
      ...(reported === null ? {} : { reportOnly: describeRequirement(reported) }),
      reachableBy: callers.flatMap((c) =>
        [...(reachable.get(coordinate) ?? [])].filter((name) => name === c.name || name.startsWith(`${c.name} (`)),
      ),
      ...requirementDetail(requirement),
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

/** The width the text map keeps to: a terminal of 100 columns. */
export const TEXT_MAP_WIDTH = 100;

/** `text` cut at spaces into lines of at most `width` characters; the lines after the first indented. */
function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  const lead = /^ */.exec(text)?.[0] ?? '';
  let line = lead;
  for (const word of text.slice(lead.length).split(' ')) {
    const next = line.trim() === '' ? `${line}${word}` : `${line} ${word}`;
    if (next.length > width && line.trim() !== '') {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = next;
  }
  return [...lines, line];
}

/**
 * Warnings said once per kind with a count: a schema with many protected non-null fields would
 * otherwise bury the map under one line each. `--json` keeps every warning.
 */
const WARNING_KINDS: readonly { readonly pattern: RegExp; readonly summary: string }[] = [
  { pattern: / is protected but non-null: /, summary: 'protected but non-null (a denied read nulls the parent too; make them nullable)' },
  { pattern: / requires role \w+, which the Role enum does not have/, summary: 'requiring a role the Role enum does not have' },
  { pattern: / is protected differently in its implementations /, summary: 'of interfaces protected differently in their implementations' },
];

/** One line per kind of warning: how many fields, the first few, and how many more. */
export function summarizeWarnings(warnings: readonly string[]): string[] {
  const lines: string[] = [];
  const unmatched = warnings.filter((w) => !WARNING_KINDS.some((k) => k.pattern.test(w)));
  for (const { pattern, summary } of WARNING_KINDS) {
    const coordinates = warnings.filter((w) => pattern.test(w)).map((w) => w.slice(0, w.indexOf(' ')));
    if (coordinates.length === 0) continue;
    const shown = coordinates.slice(0, 3).join(', ');
    const more = coordinates.length > 3 ? ` and ${coordinates.length - 3} more` : '';
    lines.push(`${coordinates.length} field(s) ${summary}: ${shown}${more}`);
  }
  return [...lines, ...unmatched];
}

/**
 * The map for a terminal of `width` columns: per field, its coordinate and requirement, then who
 * reaches it and where the rule comes from, each wrapped; then open root fields and a summary of
 * the warnings (`--json` has them all).
 */
export function formatAuthMapText(map: AuthMap, width: number = TEXT_MAP_WIDTH): string {
  const lines: string[] = ['FIELD: REQUIRES', '    reachable by … | from …', ''];
  for (const e of map.entries) {
    lines.push(...wrap(`${e.coordinate}: ${e.requires}`, width, '    '));
    lines.push(...wrap(`    reachable by ${e.reachableBy.join(', ') || 'nobody'} | from ${e.from}`, width, '      '));
  }
  if (map.openRootFields.length > 0)
    lines.push('', ...wrap(`Open root fields (no directive): ${map.openRootFields.join(', ')}`, width, '  '));
  if (map.warnings.length > 0) {
    lines.push('', `Warnings (${map.warnings.length}; --json lists each):`);
    for (const summary of summarizeWarnings(map.warnings)) lines.push(...wrap(`- ${summary}`, width, '  '));
  }
  return `${lines.join('\n')}\n`;
}

/** The map as a Markdown table, for docs/protecting-fields.md's generated section. */
export function formatAuthMapMarkdown(map: AuthMap): string {
  const lines = ['| field | requires | from | reachable by |', '| --- | --- | --- | --- |'];
  for (const e of map.entries) lines.push(`| \`${e.coordinate}\` | ${e.requires} | ${e.from} | ${e.reachableBy.join(', ') || 'nobody'} |`);
  if (map.openRootFields.length > 0) lines.push('', `Open root fields: ${map.openRootFields.map((f) => `\`${f}\``).join(', ')}`);
  if (map.warnings.length > 0) lines.push('', 'Warnings:', '', ...map.warnings.map((w) => `- ${w}`));
  return `${lines.join('\n')}\n`;
}
