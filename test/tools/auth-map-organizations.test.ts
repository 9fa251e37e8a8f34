// `@inOrganization` in the auth map and its diff: what a field requires, who reaches it only as a
// member (`USER (member)`, `USER (ADMIN member)`), the global role that passes through `orRole`, and
// the changes of access a rule change makes.
import { makeExecutableSchema } from '@graphql-tools/schema';
import { buildAuthMap } from '../../src/tools/auth-map';
import { diffAuthMaps } from '../../src/tools/auth-map-diff';
import { authDirectiveTypeDefs } from '../../src/enforcement/directive-sdl';

const ENUMS = /* GraphQL */ `
  enum Role { USER ADMIN @includes(roles: [USER]) }
  enum OrganizationRole { MEMBER ADMIN @includes(roles: [MEMBER]) OWNER @includes(roles: [ADMIN]) }
`;

const mapOf = (sdl: string) => buildAuthMap(makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, ENUMS, sdl] }));

const INVOICES = /* GraphQL */ `
  type Invoice @inOrganization { id: ID! organizationId: ID! total: Int @inOrganization(role: ADMIN, orRole: ADMIN) }
  type Query { invoices(organizationId: ID!): [Invoice!]! @inOrganization(argument: "organizationId") }
`;

function pairs(beforeSdl: string, afterSdl: string): string[] {
  return diffAuthMaps(mapOf(beforeSdl), mapOf(afterSdl)).fields.flatMap((f) =>
    f.callers.flatMap((c) => c.changes.map((change) => `${f.coordinate} ${c.caller} ${change.direction} ${change.what}`)),
  );
}

describe('the auth map of @inOrganization', () => {
  const map = mapOf(INVOICES);
  const entry = (coordinate: string) => map.entries.find((e) => e.coordinate === coordinate);

  it('says which organization role on which organization, and that callers reach it only as members', () => {
    expect(entry('Query.invoices')).toMatchObject({
      requires: 'signed in + member of the organization in argument organizationId',
      from: '@inOrganization(role: MEMBER, argument: "organizationId") on field',
      reachableBy: ['USER (member)', 'ADMIN (member)'],
      organization: [{ role: 'MEMBER', heldBy: ['MEMBER', 'ADMIN', 'OWNER'], field: null, argument: 'organizationId', orRole: null }],
    });
    expect(entry('Invoice.id')).toMatchObject({
      requires: "signed in + member of the object's organization (organizationId)",
      from: '@inOrganization(role: MEMBER, field: "organizationId") on type Invoice',
      reachableBy: ['USER (member)', 'ADMIN (member)'],
    });
  });

  it('shows ADMIN of the organization, and the global role that passes only through orRole', () => {
    expect(entry('Invoice.total')).toMatchObject({
      requires:
        "signed in + member of the object's organization (organizationId) + ADMIN of the object's organization (organizationId) or ADMIN",
      reachableBy: ['USER (ADMIN member)', 'ADMIN (member)'],
    });
  });

  it('diffs: dropping the rule is a gain, a lower organization role a gain, a higher one a loss', () => {
    const open = INVOICES.replace(' @inOrganization(argument: "organizationId")', ' @auth');
    expect(pairs(INVOICES, open)).toEqual([
      "Query.invoices USER gains objects of any organization (was: its organizations' only)",
      "Query.invoices ADMIN gains objects of any organization (was: its organizations' only)",
    ]);
    const ownersOnly = INVOICES.replace(
      '@inOrganization(argument: "organizationId")',
      '@inOrganization(argument: "organizationId", role: OWNER)',
    );
    expect(pairs(INVOICES, ownersOnly)).toEqual([
      'Query.invoices USER loses as MEMBER or ADMIN of the organization',
      'Query.invoices ADMIN loses as MEMBER or ADMIN of the organization',
    ]);
    expect(diffAuthMaps(mapOf(ownersOnly), mapOf(INVOICES)).widens).toBe(true);
  });
});
