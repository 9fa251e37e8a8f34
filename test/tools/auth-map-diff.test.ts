import { makeExecutableSchema } from '@graphql-tools/schema';
import { buildAuthMap } from '../../src/tools/auth-map';
import { AuthMapFormatError, diffAuthMaps, formatAuthMapDiffMarkdown, parseAuthMapJson } from '../../src/tools/auth-map-diff';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';

const mapOf = (sdl: string) =>
  buildAuthMap(
    makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, `enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }`, sdl] }),
  );

/** The diff as `field caller gains|loses what` lines, easy to compare whole. */
function pairs(beforeSdl: string, afterSdl: string): string[] {
  const diff = diffAuthMaps(mapOf(beforeSdl), mapOf(afterSdl));
  return diff.fields.flatMap((f) =>
    f.callers.flatMap((c) => c.changes.map((change) => `${f.coordinate} ${c.caller} ${change.direction} ${change.what}`)),
  );
}

describe('diffAuthMaps', () => {
  it('names nothing when nothing changed', () => {
    const sdl = 'type Query { a: String @public b: String @auth }';
    const diff = diffAuthMaps(mapOf(sdl), mapOf(sdl));
    expect(diff).toEqual({ fields: [], reportOnly: [], widens: false });
    expect(formatAuthMapDiffMarkdown(diff)).toBe('### Auth map: no change of access\n');
  });

  it('lists a report-only rule apart (nobody gains or loses), and the losses once @reportOnly is dropped', () => {
    const today = 'type Query { report: String @auth }';
    const trying = 'type Query { report: String @auth @reportOnly @hasRole(role: ADMIN) }';
    const enforced = 'type Query { report: String @auth @hasRole(role: ADMIN) }';
    const tried = diffAuthMaps(mapOf(today), mapOf(trying));
    expect(tried).toEqual({ fields: [], reportOnly: [{ coordinate: 'Query.report', before: null, after: 'role ADMIN' }], widens: false });
    expect(formatAuthMapDiffMarkdown(tried)).toContain('- `Query.report`: (none) → role ADMIN');
    expect(pairs(trying, enforced)).toEqual(['Query.report USER loses the field']);
    expect(diffAuthMaps(mapOf(trying), mapOf(enforced)).reportOnly).toEqual([
      { coordinate: 'Query.report', before: 'role ADMIN', after: null },
    ]);
  });

  it('names the callers who gain when a role rule is dropped, and who lose when it is added', () => {
    const adminOnly = 'type Query { report: String @hasRole(role: ADMIN) open: String @public }';
    const signedIn = 'type Query { report: String @auth open: String @hasRole(role: ADMIN) }';
    expect(pairs(adminOnly, signedIn)).toEqual([
      'Query.report USER gains the field',
      'Query.open anonymous loses the field',
      'Query.open USER loses the field',
    ]);
    expect(diffAuthMaps(mapOf(adminOnly), mapOf(signedIn)).widens).toBe(true);
    expect(
      diffAuthMaps(mapOf(signedIn), mapOf(signedIn.replace('report: String @auth', 'report: String @hasRole(role: ADMIN)'))).widens,
    ).toBe(false);
  });

  it('compares rules on arguments as rows of their own', () => {
    const ruled =
      'input I { discount: Int @hasRole(role: ADMIN) } type Query { q(input: I, all: Boolean @hasRole(role: ADMIN)): Int @auth }';
    const opened = 'input I { discount: Int } type Query { q(input: I, all: Boolean @auth): Int @auth }';
    // A rule dropped from an argument leaves no row: whoever reaches the field may now supply it.
    expect(pairs(ruled, opened)).toEqual(['Query.q(all) USER gains the field', 'Query.q(input.discount) USER gains the field']);
    expect(diffAuthMaps(mapOf(ruled), mapOf(opened)).widens).toBe(true);
    expect(pairs(opened, ruled)).toEqual(['Query.q(input.discount) USER loses the field', 'Query.q(all) USER loses the field']);
  });

  it('an anonymous caller reaches only open objects of an @owner field, and is compared as such', () => {
    const open =
      'type Note { id: ID! } type Query { note(id: ID!): Note @public @owner(loads: "Note", field: "authorId", openWhen: "visibility", openValue: "PUBLIC") }';
    const map = mapOf(open);
    expect(map.entries.find((e) => e.coordinate === 'Query.note')?.reachableBy).toEqual([
      'anonymous (only visibility PUBLIC)',
      'USER (owner, or visibility PUBLIC)',
      'ADMIN (owner, or visibility PUBLIC)',
    ]);
    expect(pairs(open, open.replace(', openWhen: "visibility", openValue: "PUBLIC"', ''))).toEqual([
      'Query.note anonymous loses the field',
      'Query.note USER loses its own and the open objects (now: only its own objects)',
      'Query.note ADMIN loses its own and the open objects (now: only its own objects)',
      'Note.id anonymous loses the field',
    ]);
  });

  it('follows reachability: opening a type only matters to callers who reach it', () => {
    const before = 'type Vault { gold: Int @hasRole(role: ADMIN) } type Query { vault: Vault @auth }';
    const after = 'type Vault { gold: Int @public } type Query { vault: Vault @auth }';
    expect(pairs(before, after)).toEqual(['Vault.gold USER gains the field']);
  });

  it('names credential kinds gained and lost', () => {
    const jwtOnly = 'type Query { mint: String @auth @credentials(allow: [JWT]) }';
    const anyKind = 'type Query { mint: String @auth }';
    const apiKeyOnly = 'type Query { mint: String @auth @credentials(allow: [API_KEY]) }';
    expect(pairs(jwtOnly, anyKind)).toEqual([
      'Query.mint USER gains via API_KEY',
      'Query.mint USER gains via EXTERNAL',
      'Query.mint ADMIN gains via API_KEY',
      'Query.mint ADMIN gains via EXTERNAL',
    ]);
    // API_KEY only: no role reaches it with a session (the map's callers are signed in with JWT).
    expect(pairs(jwtOnly, apiKeyOnly)).toEqual(['Query.mint USER loses the field', 'Query.mint ADMIN loses the field']);
  });

  it('names scope sets that pass now and did not, and the other way round', () => {
    const one = 'type Query { docs: String @auth @requiresScopes(scopes: [["docs:read", "audit"]]) }';
    const alternative = 'type Query { docs: String @auth @requiresScopes(scopes: [["docs:read", "audit"], ["docs:admin"]]) }';
    const stricter = 'type Query { docs: String @auth @requiresScopes(scopes: [["docs:read", "audit", "mfa"]]) }';
    const none = 'type Query { docs: String @auth }';
    expect(pairs(one, alternative)).toEqual([
      'Query.docs USER gains with scopes docs:admin',
      'Query.docs ADMIN gains with scopes docs:admin',
    ]);
    expect(pairs(one, stricter)).toEqual([
      'Query.docs USER loses with scopes docs:read and audit',
      'Query.docs ADMIN loses with scopes docs:read and audit',
    ]);
    expect(pairs(one, none)).toEqual(['Query.docs USER gains with no scope', 'Query.docs ADMIN gains with no scope']);
    expect(diffAuthMaps(mapOf(one), mapOf(stricter)).widens).toBe(false);
  });

  it('names ownership changes: any object instead of its own, the open objects, another owner property', () => {
    const own = 'type Doc { body: String @owner(field: "ownerId") } type Query { doc: Doc @auth }';
    const orAdmin = 'type Doc { body: String @owner(field: "ownerId", orRole: ADMIN) } type Query { doc: Doc @auth }';
    const open =
      'type Doc { body: String @owner(field: "ownerId", openWhen: "status", openValue: "PUBLIC") } type Query { doc: Doc @auth }';
    const editor = 'type Doc { body: String @owner(field: "editorId") } type Query { doc: Doc @auth }';
    expect(pairs(own, orAdmin)).toEqual(['Doc.body ADMIN gains any object (was: only its own objects)']);
    expect(pairs(orAdmin, own)).toEqual(['Doc.body ADMIN loses any object (now: only its own objects)']);
    expect(pairs(own, open)).toEqual([
      'Doc.body USER gains its own and the open objects (was: only its own objects)',
      'Doc.body ADMIN gains its own and the open objects (was: only its own objects)',
    ]);
    expect(pairs(own, editor)).toEqual([
      'Doc.body USER gains objects whose editorId is its id (was: ownerId)',
      'Doc.body USER loses objects whose ownerId is its id',
      'Doc.body ADMIN gains objects whose editorId is its id (was: ownerId)',
      'Doc.body ADMIN loses objects whose ownerId is its id',
    ]);
  });

  it('names a change of the argument that loads the owned object: other objects are checked', () => {
    const drop = (idArgument: string) =>
      `type Doc { id: ID! } type Query { doc: Doc @public } type Mutation { dropDoc(id: ID!, copyId: ID): Boolean @auth @owner(loads: "Doc", field: "ownerId"${idArgument}) }`;
    expect(pairs(drop(''), drop(', idArgument: "copyId"'))).toEqual([
      'Mutation.dropDoc USER gains the objects argument copyId names (was: id)',
      'Mutation.dropDoc USER loses the objects argument id names',
      'Mutation.dropDoc ADMIN gains the objects argument copyId names (was: id)',
      'Mutation.dropDoc ADMIN loses the objects argument id names',
    ]);
    expect(diffAuthMaps(mapOf(drop('')), mapOf(drop(', idArgument: "copyId"'))).widens).toBe(true);
  });

  it('names policy changes by what the names imply: an added policy or a dropped alternative only narrows', () => {
    const invoice = (rule: string) => `type Invoice { id: ID! total: Int ${rule} } type Query { invoices: [Invoice!]! @auth }`;
    const none = invoice('');
    const read = invoice('@policy(policies: [["invoice.read"]])');
    const readOrAdmin = invoice('@policy(policies: [["invoice.read"], ["invoice.admin"]])');
    const readAndPaid = invoice('@policy(policies: [["invoice.read", "invoice.paid"]])');
    const other = invoice('@policy(policies: [["invoice.other"]])');
    const narrows = (before: string, after: string) => diffAuthMaps(mapOf(before), mapOf(after)).widens;
    expect(pairs(none, read)).toEqual([
      'Invoice.total USER loses what policy invoice.read refuses (was: no policy)',
      'Invoice.total ADMIN loses what policy invoice.read refuses (was: no policy)',
    ]);
    expect(narrows(none, read)).toBe(false);
    expect(pairs(read, none)).toEqual([
      'Invoice.total USER gains what policy invoice.read refused (now: no policy)',
      'Invoice.total ADMIN gains what policy invoice.read refused (now: no policy)',
    ]);
    expect(narrows(read, readOrAdmin)).toBe(true);
    expect(narrows(readOrAdmin, read)).toBe(false);
    expect(narrows(read, readAndPaid)).toBe(false);
    expect(narrows(readAndPaid, read)).toBe(true);
    // Another name is other code: both a gain and a loss.
    expect(pairs(read, other).filter((pair) => pair.includes(' USER '))).toEqual([
      'Invoice.total USER gains what policy invoice.read refused (now: policy invoice.other)',
      'Invoice.total USER loses what policy invoice.other refuses (was: policy invoice.read)',
    ]);
    // A root field's policy, decided on its arguments, compares the same way.
    expect(narrows('type Query { r: String @auth }', 'type Query { r: String @auth @policy(policies: [["r"]]) }')).toBe(false);
  });

  it('compares ownership and membership under a policy as without one', () => {
    const doc = (owner: string) =>
      `type Doc { body: String @owner(${owner}) @policy(policies: [["doc.read"]]) } type Query { doc: Doc @auth }`;
    expect(pairs(doc('field: "ownerId"'), doc('field: "ownerId", orRole: ADMIN'))).toEqual([
      'Doc.body ADMIN gains any object (was: only its own objects)',
    ]);
    const team = (role: string) =>
      `type Team @inOrganization(field: "orgId"${role}) @policy(policies: [["team.read"]]) { id: ID! } type Query { teams: [Team!]! @auth }`;
    // OrganizationRole here is MEMBER and OWNER, neither including the other.
    expect(pairs(team(''), team(', role: OWNER'))).toEqual([
      'Team.id USER gains as OWNER of the organization',
      'Team.id USER loses as MEMBER of the organization',
      'Team.id ADMIN gains as OWNER of the organization',
      'Team.id ADMIN loses as MEMBER of the organization',
    ]);
  });

  it('counts a new reachable field as a gain and a removed one as a loss', () => {
    const before = 'type Query { a: String @public }';
    const after = 'type Query { a: String @public b: String @hasRole(role: ADMIN) }';
    expect(pairs(before, after)).toEqual(['Query.b ADMIN gains the field']);
    expect(pairs(after, before)).toEqual(['Query.b ADMIN loses the field']);
  });

  it('writes a Markdown table with one row per field and caller', () => {
    const diff = diffAuthMaps(
      mapOf('type Query { report: String @hasRole(role: ADMIN) open: String @public }'),
      mapOf('type Query { report: String @auth @credentials(allow: [JWT]) open: String @auth }'),
    );
    expect(formatAuthMapDiffMarkdown(diff).split('\n')).toEqual([
      '### Auth map: 1 (field, caller) pair(s) gain access, 2 lose access',
      '',
      '**This change widens access.**',
      '',
      '| field | caller | gains | loses | requires (before → after) |',
      '| --- | --- | --- | --- | --- |',
      '| `Query.report` | USER | the field |  | role ADMIN → signed in + not via API_KEY, EXTERNAL |',
      '| `Query.report` | ADMIN |  | via API_KEY; via EXTERNAL | role ADMIN → signed in + not via API_KEY, EXTERNAL |',
      '| `Query.open` | anonymous |  | the field | public → signed in |',
      '',
    ]);
  });
});

describe('parseAuthMapJson', () => {
  it('reads what auth-map --json prints', () => {
    const map = mapOf('type Query { a: String @public }');
    expect(parseAuthMapJson(JSON.stringify(map), 'before.json')).toEqual(map);
  });

  it.each([
    ['not json', 'not JSON'],
    ['{"data": {}}', 'no "entries" list'],
    ['{"entries": [{"coordinate": "Query.a", "requires": "public"}]}', 'entries[0].reachableBy is not a list of strings'],
    ['{"entries": [{"coordinate": "a b", "requires": "public", "reachableBy": []}]}', 'entries[0].coordinate is not Type.field'],
  ])('refuses %s, saying why', (text, why) => {
    expect(() => parseAuthMapJson(text, 'before.json')).toThrow(AuthMapFormatError);
    expect(() => parseAuthMapJson(text, 'before.json')).toThrow(
      `before.json is not an auth map (the output of gatehouse auth-map --json): ${why}`,
    );
  });
});
