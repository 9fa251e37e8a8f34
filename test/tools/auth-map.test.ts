import { makeExecutableSchema } from '@graphql-tools/schema';
import { buildAuthMap } from '../../src/tools/auth-map';
import { formatAuthMapText } from '../../src/tools/auth-map-format';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';

const sdl = /* GraphQL */ `
  enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }
  interface Node { id: ID! secretNote: String }
  type Post implements Node { id: ID! secretNote: String @auth title: String }
  type Page implements Node { id: ID! secretNote: String url: String }
  union SearchResult = Post | Page
  type Vault @hasRole(role: ADMIN) { gold: Int! label: String @public }
  type Query {
    search(term: String!): [SearchResult!]! @public
    node(id: ID!): Node @public
    vault: Vault @auth
    forgotten: String
  }
  type Mutation { wipe: Boolean! @hasRole(role: ADMIN) }
  type Unreachable { x: Int }
`;

const map = buildAuthMap(makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, sdl] }));
const entry = (coordinate: string) => map.entries.find((e) => e.coordinate === coordinate);

describe('buildAuthMap', () => {
  it('lists fields reached through unions and interfaces, and not unreachable types', () => {
    expect(entry('Post.title')).toEqual({
      coordinate: 'Post.title',
      requires: 'public',
      from: 'no directive',
      reachableBy: ['anonymous', 'USER', 'ADMIN'],
    });
    expect(entry('Page.url')?.reachableBy).toEqual(['anonymous', 'USER', 'ADMIN']);
    expect(entry('Unreachable.x')).toBeUndefined();
  });

  it('says what each field requires, where that comes from and who can reach it', () => {
    expect(entry('Post.secretNote')).toMatchObject({ requires: 'signed in', from: '@auth on field', reachableBy: ['USER', 'ADMIN'] });
    expect(entry('Query.vault')).toMatchObject({ requires: 'signed in', reachableBy: ['USER', 'ADMIN'] });
    expect(entry('Vault.gold')).toMatchObject({
      requires: 'role ADMIN',
      from: '@hasRole(role: ADMIN) on type Vault',
      reachableBy: ['ADMIN'],
    });
    // @public opens the field inside an ADMIN type, but only callers who can reach a Vault get there.
    expect(entry('Vault.label')).toMatchObject({ requires: 'public', from: '@public on field', reachableBy: ['USER', 'ADMIN'] });
  });

  it('names open root fields', () => {
    expect(map.openRootFields).toEqual(['Query.forgotten']);
  });

  it('warns about protected non-null fields and interfaces protected differently', () => {
    expect(map.warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Vault.gold is protected but non-null'),
        expect.stringContaining('Node.secretNote is protected differently in its implementations'),
      ]),
    );
    // Root mutation fields are refused before running, so non-null there is harmless.
    expect(map.warnings.some((w) => w.startsWith('Mutation.wipe'))).toBe(false);
  });

  it('shows scopes, credential kinds and ownership, and who reaches a field only as its owner', () => {
    const policy = buildAuthMap(
      makeExecutableSchema({
        typeDefs: [
          authDirectiveTypeDefs,
          /* GraphQL */ `
            enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }
            type Doc { id: ID! body: String @owner(field: "ownerId", orRole: ADMIN) }
            type Query { docs: [Doc!] @auth @requiresScopes(scopes: [["docs:read"], ["docs:admin", "audit"]]) }
            type Mutation {
              dropDoc(id: ID!): Boolean @auth @owner(loads: "Doc", field: "ownerId")
              archiveDoc(docId: ID!, into: ID): Boolean @auth @owner(loads: "Doc", field: "ownerId", idArgument: "docId")
              mintKey: String @auth @credentials(allow: [JWT])
            }
          `,
        ],
      }),
    );
    const at = (coordinate: string) => policy.entries.find((e) => e.coordinate === coordinate);
    expect(at('Query.docs')).toMatchObject({
      requires: 'signed in + scopes docs:read or docs:admin and audit',
      scopes: [['docs:read'], ['docs:admin', 'audit']],
      reachableBy: ['USER', 'ADMIN'],
    });
    expect(at('Doc.body')).toMatchObject({
      requires: 'owner (ownerId) or ADMIN',
      from: '@owner(field: "ownerId", orRole: ADMIN) on field',
      owner: { field: 'ownerId', orRole: 'ADMIN', loads: null },
      reachableBy: ['USER (owner)', 'ADMIN'],
    });
    expect(at('Mutation.dropDoc')).toMatchObject({
      requires: 'signed in + owner (ownerId)',
      from: '@auth on field, @owner(loads: "Doc", field: "ownerId") on field',
      owner: { field: 'ownerId', orRole: null, loads: 'Doc', idArgument: 'id' },
      reachableBy: ['USER (owner)', 'ADMIN (owner)'],
    });
    // Which argument names the object loaded is part of the rule: the map quotes it as written.
    expect(at('Mutation.archiveDoc')).toMatchObject({
      from: '@auth on field, @owner(loads: "Doc", field: "ownerId", idArgument: "docId") on field',
      owner: { field: 'ownerId', orRole: null, loads: 'Doc', idArgument: 'docId' },
    });
    expect(at('Mutation.mintKey')).toMatchObject({ requires: 'signed in + not via API_KEY, EXTERNAL', credentials: ['JWT'] });
    expect(at('Doc.id')).not.toHaveProperty('scopes');
  });

  // It was a four-column table, 310 columns wide on the demo schema: now two lines per field, wrapped.
  it('formats two lines per field that fit the width, then open root fields and warnings by kind', () => {
    const text = formatAuthMapText(map);
    expect(text).toContain('Vault.gold: role ADMIN\n    reachable by ADMIN | from @hasRole(role: ADMIN) on type Vault\n');
    expect(text).toContain('Open root fields (no directive): Query.forgotten');
    expect(text).toContain('- 1 field(s) of interfaces protected differently in their implementations: Node.secretNote\n');
    const narrow = formatAuthMapText(map, 40);
    expect(Math.max(...narrow.split('\n').map((line) => line.length))).toBeLessThanOrEqual(40);
    expect(narrow).toContain('Post.title: public\n    reachable by anonymous, USER, ADMIN\n      | from no directive\n');
  });
});
