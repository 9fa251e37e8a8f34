import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse } from 'graphql';
import { RoleDeclarationError } from '../../src/auth/role-catalog';
import { declaresEnum, readRoleCatalog, roleEnumTypeDefs } from '../../src/enforcement/declared-roles';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';

const DEFAULTS = { USER: [], ADMIN: ['USER'] };
const REQUIRED = ['USER', 'ADMIN'];

function schemaOf(...typeDefs: string[]) {
  return makeExecutableSchema({
    typeDefs: [authDirectiveTypeDefs, 'type Query { x: Int @public } enum OrganizationRole { MEMBER OWNER }', ...typeDefs],
  });
}

describe('readRoleCatalog', () => {
  it("reads an enum's values in order and their @includes, enum values or strings", () => {
    const schema = schemaOf('enum Role { USER MODERATOR @includes(roles: [USER]) ADMIN @includes(roles: ["MODERATOR"]) }');
    const catalog = readRoleCatalog(schema, 'Role', DEFAULTS, REQUIRED);
    expect(catalog.roles).toEqual(['USER', 'MODERATOR', 'ADMIN']);
    expect(catalog.expand('ADMIN')).toEqual(['ADMIN', 'MODERATOR', 'USER']);
  });

  it('extend enum declares roles exactly like enum', () => {
    const schema = schemaOf(roleEnumTypeDefs('Role', DEFAULTS), 'extend enum Role { ACCOUNTANT @includes(roles: [USER]) }');
    const catalog = readRoleCatalog(schema, 'Role', DEFAULTS, REQUIRED);
    // graphql-tools merges the extension's values in first: the set is what counts.
    expect([...catalog.roles].sort()).toEqual(['ACCOUNTANT', 'ADMIN', 'USER']);
    expect(catalog.expand('ACCOUNTANT')).toEqual(['ACCOUNTANT', 'USER']);
  });

  it('holdsEvery: that role holds every declared role without listing them, and nothing may include it', () => {
    const schema = schemaOf('enum Role { USER SUPPORT ACCOUNTANT ADMIN @includes(roles: [USER]) }');
    const catalog = readRoleCatalog(schema, 'Role', DEFAULTS, REQUIRED, 'ADMIN');
    expect(catalog.holds(['ADMIN'], 'SUPPORT')).toBe(true);
    expect(catalog.holds(['ADMIN'], 'ACCOUNTANT')).toBe(true);
    expect(catalog.senior(['SUPPORT', 'ADMIN'])).toBe('ADMIN');
    const above = schemaOf('enum Role { USER ADMIN ROOT @includes(roles: [ADMIN]) }');
    expect(() => readRoleCatalog(above, 'Role', DEFAULTS, REQUIRED, 'ADMIN')).toThrow(
      'enum Role: ROOT @includes ADMIN, but ADMIN holds every declared role, so nothing may include it.',
    );
  });

  it('the defaults when the schema declares no such enum', () => {
    const catalog = readRoleCatalog(
      makeExecutableSchema({ typeDefs: 'type Query { x: Int }' }),
      'OrganizationRole',
      { MEMBER: [], ADMIN: ['MEMBER'], OWNER: ['ADMIN'] },
      ['MEMBER', 'OWNER'],
    );
    expect(catalog.expand('OWNER')).toEqual(['OWNER', 'ADMIN', 'MEMBER']);
  });

  it('refuses a cycle, an unknown name and a missing required role, naming them', () => {
    const cycle = schemaOf('enum Role { USER @includes(roles: [ADMIN]) ADMIN @includes(roles: [USER]) }');
    expect(() => readRoleCatalog(cycle, 'Role', DEFAULTS, REQUIRED)).toThrow(/cycle: USER includes ADMIN includes USER/);
    const unknown = schemaOf('enum Role { USER ADMIN @includes(roles: [SUPERVISOR]) }');
    expect(() => readRoleCatalog(unknown, 'Role', DEFAULTS, REQUIRED)).toThrow(RoleDeclarationError);
    expect(() => readRoleCatalog(unknown, 'Role', DEFAULTS, REQUIRED)).toThrow(/SUPERVISOR, which is not a value of enum Role/);
    const missing = schemaOf('enum Role { MEMBER ADMIN }');
    expect(() => readRoleCatalog(missing, 'Role', DEFAULTS, REQUIRED)).toThrow('enum Role must declare USER');
  });
});

describe('roleEnumTypeDefs and declaresEnum', () => {
  it('writes the default as SDL, and tells a definition from an extension', () => {
    expect(roleEnumTypeDefs('Role', DEFAULTS)).toBe('enum Role {\n  USER\n  ADMIN @includes(roles: [USER])\n}\n');
    expect(declaresEnum(['enum Role { USER ADMIN }'], 'Role')).toBe(true);
    expect(declaresEnum([parse('extend enum Role { X }'), 'type Query { a: Int }'], 'Role')).toBe(false);
  });
});
