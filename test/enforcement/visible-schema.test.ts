import { makeExecutableSchema } from '@graphql-tools/schema';
import { type GraphQLSchema, isInterfaceType, isObjectType, validateSchema } from 'graphql';
import { defaultRoleCatalog } from '../../src/auth/roles';
import type { Viewer } from '../../src/auth/viewer';
import { applyAuthDirectives } from '../../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';
import { buildVisibleSchema, visibilityKey, visibleSchemaBuilds, visibleSchemaFor } from '../../src/enforcement/visible-schema';

const SDL = /* GraphQL */ `
  enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }
  interface Named { id: ID! name: String secret: String }
  type Person implements Named { id: ID! name: String secret: String @hasRole(role: ADMIN) }
  type Robot implements Named { id: ID! name: String secret: String serial: String }
  type Audit @hasRole(role: ADMIN) { id: ID! what: String }
  type Report { audit: Audit note: String @requiresScopes(scopes: [["reports:read"]]) }
  union Thing = Person | Audit
  input AuditFilter { what: String }
  type Query {
    hello: String @public
    named: [Named!] @auth
    things: [Thing!] @auth
    report: Report @auth
    audits(filter: AuditFilter): [Audit!] @auth
    keysOnly: String @auth @credentials(allow: [API_KEY])
    account: Account @public
  }
  type Account { id: ID! email: String @owner(field: "id") }
`;

function enforced(): GraphQLSchema {
  return applyAuthDirectives(makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, SDL] }));
}

const user: Viewer = { id: 'u', roles: defaultRoleCatalog().expand('USER'), via: 'jwt' };
const admin: Viewer = { id: 'a', roles: defaultRoleCatalog().expand('ADMIN'), via: 'jwt' };

function fieldsOf(schema: GraphQLSchema, name: string): string[] | undefined {
  const type = schema.getType(name);
  return isObjectType(type) || isInterfaceType(type) ? Object.keys(type.getFields()) : undefined;
}

describe('buildVisibleSchema', () => {
  const schema = enforced();

  it('anonymous callers see public fields only, and the types those use', () => {
    const visible = buildVisibleSchema(schema, null);
    expect(validateSchema(visible)).toEqual([]);
    expect(fieldsOf(visible, 'Query')).toEqual(['hello', 'account']);
    // An ownership rule alone: anyone may own the object (the account signUp returns).
    expect(fieldsOf(visible, 'Account')).toEqual(['id', 'email']);
    expect(visible.getType('Named')).toBeUndefined();
    expect(visible.getType('AuditFilter')).toBeUndefined();
  });

  it('drops what a USER cannot reach: a type with no field left, the fields returning it, a union of such, the inputs only they use', () => {
    const visible = buildVisibleSchema(schema, user);
    expect(validateSchema(visible)).toEqual([]);
    expect(visible.getType('Audit')).toBeUndefined();
    expect(fieldsOf(visible, 'Report')).toEqual(['note']);
    expect(fieldsOf(visible, 'Query')).toEqual(['hello', 'named', 'things', 'report', 'account']);
    expect(visible.getType('AuditFilter')).toBeUndefined();
    // The union keeps its visible member.
    expect(Object.keys(visible.getTypeMap())).toContain('Thing');
  });

  it('an interface field one implementation hides is hidden on the interface; other implementations keep theirs', () => {
    const visible = buildVisibleSchema(schema, user);
    expect(fieldsOf(visible, 'Named')).toEqual(['id', 'name']);
    expect(fieldsOf(visible, 'Person')).toEqual(['id', 'name']);
    expect(fieldsOf(visible, 'Robot')).toEqual(['id', 'name', 'secret', 'serial']);
    expect(fieldsOf(buildVisibleSchema(schema, admin), 'Named')).toEqual(['id', 'name', 'secret']);
  });

  it('credential kinds and scopes decide as the field guard does', () => {
    const key: Viewer = { ...user, via: 'api-key', scopes: [] };
    expect(fieldsOf(buildVisibleSchema(schema, key), 'Query')).toContain('keysOnly');
    expect(fieldsOf(buildVisibleSchema(schema, user), 'Query')).not.toContain('keysOnly');
    // A report with neither its audit nor its note is no type at all for this key.
    expect(fieldsOf(buildVisibleSchema(schema, key), 'Query')).not.toContain('report');
    expect(fieldsOf(buildVisibleSchema(schema, { ...key, scopes: ['reports:read'] }), 'Report')).toEqual(['note']);
  });
});

describe('visibleSchemaFor', () => {
  it('builds once per visibility key; scopes the schema does not name change nothing', () => {
    const schema = enforced();
    const first = visibleSchemaFor(schema, user);
    expect(visibleSchemaFor(schema, { ...user, id: 'another' })).toBe(first);
    expect(visibleSchemaFor(schema, { ...user, scopes: ['unknown', 'reports:read'] })).toBe(
      visibleSchemaFor(schema, { ...user, scopes: ['reports:read'] }),
    );
    visibleSchemaFor(schema, null);
    visibleSchemaFor(schema, null);
    expect(visibleSchemaBuilds(schema)).toBe(3);
    expect(visibilityKey(schema, { ...user, scopes: ['unknown'] })).toBe(visibilityKey(schema, { ...user, scopes: [] }));
    expect(visibilityKey(schema, { ...user, via: 'api-key' })).not.toBe(visibilityKey(schema, user));
  });
});
