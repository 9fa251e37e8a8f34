/*
 * `@reportOnly` on arguments and input fields in the tools: the auth map (text and JSON) marks the
 * row "report only" and keeps its reach (it refuses nobody); `auth-map --diff` lists adding one as a
 * report-only change with no access change, and dropping `@reportOnly` as a loss (exit 0 through the
 * CLI); `gatehouse explain` adds "report only: would deny (RULE)" where the argument is supplied.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'graphql';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';
import { buildAuthMap } from '../../src/tools/auth-map';
import { diffAuthMaps, formatAuthMapDiffMarkdown } from '../../src/tools/auth-map-diff';
import { formatAuthMapText } from '../../src/tools/auth-map-format';
import { explainDocument, formatExplanation } from '../../src/tools/explain';

const ROLES = 'enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }';
const schemaOf = (sdl: string) => makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, ROLES, sdl] });
const mapOf = (sdl: string) => buildAuthMap(schemaOf(sdl));

const TODAY =
  'input NoteInput { title: String pinned: Boolean } type Query { users(role: Role): Int @auth } type Mutation { note(input: NoteInput): Int @auth }';
const TRYING = TODAY.replace('pinned: Boolean', 'pinned: Boolean @reportOnly @hasRole(role: ADMIN)').replace(
  'role: Role',
  'role: Role @reportOnly @hasRole(role: ADMIN)',
);
const ENFORCED = TRYING.replaceAll('@reportOnly ', '');

/** The diff as `field caller gains|loses what` lines. */
function pairs(before: string, after: string): string[] {
  return diffAuthMaps(mapOf(before), mapOf(after)).fields.flatMap((f) =>
    f.callers.flatMap((c) => c.changes.map((change) => `${f.coordinate} ${c.caller} ${change.direction} ${change.what}`)),
  );
}

describe('the auth map', () => {
  it('marks a report-only argument and input field "report only", in JSON and text, reached by whoever reaches the field', () => {
    const map = mapOf(TRYING);
    const rows = map.entries.filter((e) => e.argument !== undefined);
    expect(rows).toEqual([
      {
        coordinate: 'Query.users(role)',
        argument: 'role',
        requires: 'no enforced rule (report only: role ADMIN)',
        from: '@hasRole(role: ADMIN) on Query.users(role) (report only)',
        reportOnly: 'role ADMIN',
        reachableBy: ['USER', 'ADMIN'],
      },
      {
        coordinate: 'Mutation.note(input.pinned)',
        argument: 'input.pinned',
        requires: 'no enforced rule (report only: role ADMIN)',
        from: '@hasRole(role: ADMIN) on NoteInput.pinned (report only)',
        reportOnly: 'role ADMIN',
        reachableBy: ['USER', 'ADMIN'],
      },
    ]);
    expect(formatAuthMapText(map)).toContain('Query.users(role): no enforced rule (report only: role ADMIN)');
    // Beside an enforced rule, both are shown; nothing is said to be nulled by a report-only rule.
    const mixed = mapOf('type Query { q(all: Boolean @auth @reportOnly @hasRole(role: ADMIN)): Int! @public }');
    expect(mixed.entries.find((e) => e.coordinate === 'Query.q(all)')).toEqual(
      expect.objectContaining({
        requires: 'signed in (report only: role ADMIN)',
        reportOnly: 'role ADMIN',
        reachableBy: ['USER', 'ADMIN'],
      }),
    );
    expect(mapOf('type Query { q(all: Boolean @reportOnly @hasRole(role: ADMIN)): Int! @public }').warnings).toEqual([]);
  });
});

describe('auth-map --diff', () => {
  it('lists an added report-only argument rule apart: nobody gains or loses', () => {
    const diff = diffAuthMaps(mapOf(TODAY), mapOf(TRYING));
    expect(diff).toEqual({
      fields: [],
      reportOnly: [
        { coordinate: 'Query.users(role)', before: null, after: 'role ADMIN' },
        { coordinate: 'Mutation.note(input.pinned)', before: null, after: 'role ADMIN' },
      ],
      widens: false,
    });
    expect(formatAuthMapDiffMarkdown(diff)).toContain('- `Query.users(role)`: (none) → role ADMIN');
  });

  it('shows dropping @reportOnly as a loss for USER, and the rule leaving the report-only list', () => {
    expect(pairs(TRYING, ENFORCED)).toEqual(['Query.users(role) USER loses the field', 'Mutation.note(input.pinned) USER loses the field']);
    const diff = diffAuthMaps(mapOf(TRYING), mapOf(ENFORCED));
    expect([diff.widens, diff.reportOnly.map((r) => [r.coordinate, r.before, r.after])]).toEqual([
      false,
      [
        ['Query.users(role)', 'role ADMIN', null],
        ['Mutation.note(input.pinned)', 'role ADMIN', null],
      ],
    ]);
    // Trying out a rule on an argument of a field with credential and scope rules changes no access either.
    const detailed = 'type Query { q(x: Int): Int @credentials(allow: [JWT]) @requiresScopes(scopes: [["a"]]) }';
    expect(pairs(detailed, detailed.replace('x: Int', 'x: Int @reportOnly @hasRole(role: ADMIN)'))).toEqual([]);
    expect(pairs(detailed, detailed.replace('x: Int', 'x: Int @hasRole(role: ADMIN)'))).toEqual(['Query.q(x) USER loses the field']);
  });

  it('through the CLI: exit 0 when @reportOnly is added to an argument rule, and when it is dropped (a loss)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-report-only-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const today = file('today.graphql', 'extend type Query { trial(role: Role): String @auth }');
    const trying = file('trying.graphql', 'extend type Query { trial(role: Role @reportOnly @hasRole(role: ADMIN)): String @auth }');
    const enforced = file('enforced.graphql', 'extend type Query { trial(role: Role @hasRole(role: ADMIN)): String @auth }');
    const cli = (...args: string[]) =>
      promisify(execFile)(join('node_modules', '.bin', 'tsx'), [join('src', 'cli', 'auth-map.ts'), ...args]).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
      );
    const saved = async (schema: string) => file(`${Math.random()}.json`, (await cli('--json', '--schema', schema)).stdout);
    const added = await cli('--schema', trying, '--diff', await saved(today));
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('### Auth map: no change of access');
    expect(added.stdout).toContain('- `Query.trial(role)`: (none) → role ADMIN');
    const dropped = await cli('--schema', enforced, '--diff', await saved(trying));
    expect(dropped.code).toBe(0);
    expect(dropped.stdout).toContain('| `Query.trial(role)` | USER |  | the field |');
    expect(dropped.stdout).toContain('- `Query.trial(role)`: role ADMIN → (none: dropped or now enforced)');
  }, 60_000);
});

describe('gatehouse explain', () => {
  const explain = (sdl: string, query: string, roles: string[]) => {
    const explained = explainDocument(schemaOf(sdl), parse(query), { id: 'x', roles, via: 'jwt' });
    if (!explained.ok) throw new Error(explained.errors.join('; '));
    return formatExplanation(explained.fields).replace(/ +/g, ' ');
  };

  it('adds "report only: would deny (RULE)" where a report-only argument or input field is supplied, and denies an enforced one', () => {
    expect(explain(TRYING, '{ users(role: ADMIN) }', ['USER'])).toBe(
      'users Query.users allow; report only: would deny (@hasRole(role: ADMIN) on Query.users(role))',
    );
    expect(explain(TRYING, 'mutation ($p: Boolean) { note(input: { pinned: $p }) }', ['USER'])).toBe(
      'note Mutation.note allow; report only: would deny (@hasRole(role: ADMIN) on NoteInput.pinned)',
    );
    expect(explain(TRYING, '{ users }', ['USER'])).toBe('users Query.users allow');
    expect(explain(TRYING, '{ users(role: ADMIN) }', ['ADMIN', 'USER'])).toBe('users Query.users allow');
    expect(explain(ENFORCED, '{ users(role: ADMIN) }', ['USER'])).toBe(
      'users Query.users deny (@hasRole(role: ADMIN) on Query.users(role))',
    );
  });
});
