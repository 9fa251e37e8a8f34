import { makeExecutableSchema } from '@graphql-tools/schema';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';
import { combineScopeRequirements, holdsScopes, knownScopes, scopesForNewKey } from '../../src/enforcement/scopes';

describe('holdsScopes', () => {
  it('passes when one inner list is held whole (OR of AND lists)', () => {
    const required = [['notes:read'], ['notes:admin', 'audit']];
    expect(holdsScopes(['notes:read'], required)).toBe(true);
    expect(holdsScopes(['notes:admin', 'audit'], required)).toBe(true);
    expect(holdsScopes(['notes:admin'], required)).toBe(false);
    expect(holdsScopes([], required)).toBe(false);
  });
  it('an absent scope list holds every scope; an empty requirement asks for nothing', () => {
    expect(holdsScopes(undefined, [['anything']])).toBe(true);
    expect(holdsScopes([], [])).toBe(true);
  });
});

describe('combineScopeRequirements', () => {
  it('a type and its field both apply: every group of one joined with every group of the other', () => {
    expect(combineScopeRequirements([[['a'], ['b']], [['c']]])).toEqual([
      ['a', 'c'],
      ['b', 'c'],
    ]);
    expect(combineScopeRequirements([[], [['c']]])).toEqual([['c']]);
    expect(combineScopeRequirements([])).toEqual([]);
  });
});

describe('knownScopes', () => {
  it('collects the scopes named by @requiresScopes on types and fields, sorted, each once', () => {
    const schema = makeExecutableSchema({
      typeDefs: [
        authDirectiveTypeDefs,
        /* GraphQL */ `
          enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }
          type Doc @requiresScopes(scopes: [["docs:read"]]) { id: ID! body: String @requiresScopes(scopes: [["docs:body"], ["docs:read"]]) }
          type Query { doc: Doc @auth plain: String @public }
        `,
      ],
    });
    expect(knownScopes(schema)).toEqual(['docs:body', 'docs:read']);
  });
  it('is empty for a schema without the directive', () => {
    expect(knownScopes(makeExecutableSchema({ typeDefs: 'type Query { a: String }' }))).toEqual([]);
  });
});

describe('scopesForNewKey', () => {
  const schemaScopes = ['notes:read', 'notes:write'];
  it('asked for: exactly those, sorted and each once', () => {
    expect(scopesForNewKey(['notes:write', 'notes:read', 'notes:write'], undefined, schemaScopes)).toEqual({
      ok: true,
      scopes: ['notes:read', 'notes:write'],
    });
    expect(scopesForNewKey([], undefined, schemaScopes)).toEqual({ ok: true, scopes: [] });
  });
  it('refuses scopes the schema does not know, before asking whether the maker holds them', () => {
    expect(scopesForNewKey(['notes:read', 'admin:all'], ['notes:read'], schemaScopes)).toEqual({
      ok: false,
      problem: 'unknown',
      scopes: ['admin:all'],
    });
  });
  it('refuses scopes the maker does not hold', () => {
    expect(scopesForNewKey(['notes:write'], ['notes:read'], schemaScopes)).toEqual({
      ok: false,
      problem: 'not-held',
      scopes: ['notes:write'],
    });
  });
  it("not asked for: the maker's own (null, every scope, for a maker holding every scope)", () => {
    expect(scopesForNewKey(undefined, undefined, schemaScopes)).toEqual({ ok: true, scopes: null });
    expect(scopesForNewKey(null, ['openid', 'notes:read'], schemaScopes)).toEqual({ ok: true, scopes: ['notes:read'] });
  });
});
