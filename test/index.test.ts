// The package entry (docs/contract.md, "Library entry"): what a user imports.
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, parse } from 'graphql';
import * as gatehouse from '../src/index';
import type { AuthContext, Viewer } from '../src/index';
import packageJson from '../package.json';

describe('the package entry', () => {
  it('exports the documented surface and no internals', () => {
    expect(Object.keys(gatehouse).sort()).toEqual(
      [
        'AuthCoverageError',
        'ConfigError',
        'ErrorCode',
        'applyAuthDirectives',
        'authDirectiveTypeDefs',
        'badUserInput',
        'createGatehouse',
        'forbidden',
        'hasRole',
        'notFound',
        'organizationRoleOf',
        'rateLimited',
        'runGatehouse',
        'SubgraphSchemaError',
        'unauthenticated',
        'UnknownPolicyError',
      ].sort(),
    );
  });

  it('points package.json at the built index', () => {
    expect(packageJson.main).toBe('dist/index.js');
    expect(packageJson.exports['.'].default).toBe('./dist/index.js');
    expect(packageJson.exports['./cedar'].default).toBe('./dist/cedar.js');
    expect(packageJson.typesVersions['*'].cedar).toEqual(['dist/cedar.d.ts']);
  });

  it('exports the directive SDL and applyAuthDirectives, which work on a schema of the user\u2019s own', () => {
    expect(gatehouse.authDirectiveTypeDefs).toContain('directive @auth on OBJECT | FIELD_DEFINITION');
    expect(gatehouse.authDirectiveTypeDefs).toContain('directive @hasRole(role: Role, anyOf: [Role!]) on OBJECT | FIELD_DEFINITION');
    expect(gatehouse.authDirectiveTypeDefs).toContain('directive @public on OBJECT | FIELD_DEFINITION');
    const schema = gatehouse.applyAuthDirectives(
      makeExecutableSchema({
        typeDefs: [
          gatehouse.authDirectiveTypeDefs,
          'enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER } type Query { open: String @public secret: String @hasRole(role: ADMIN) }',
        ],
        resolvers: { Query: { open: () => 'o', secret: () => 's' } },
      }),
    );
    const viewer: Viewer = { id: 'u1', roles: ['USER'], via: 'api-key' };
    const context: AuthContext = { viewer };
    const result = execute({ schema, document: parse('{ open secret }'), contextValue: context });
    expect(result).toMatchObject({
      data: { open: 'o', secret: null },
      errors: [expect.objectContaining({ extensions: { code: 'FORBIDDEN' } })],
    });
  });
});
