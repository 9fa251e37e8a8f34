import { isEnumType } from 'graphql';
import { roleCatalogOf } from '../../src/auth/role-catalog';
import { DEFAULT_ROLES, defaultRoleCatalog, mostSeniorRole, REQUIRED_ROLES } from '../../src/auth/roles';
import { hasRole } from '../../src/auth/viewer';
import { buildSourceSchema } from '../../src/graphql/schema';

describe('DEFAULT_ROLES', () => {
  it("is schema/base.graphql's Role enum when the application declares none: USER, and ADMIN including USER", () => {
    const role = buildSourceSchema().getType('Role');
    if (!isEnumType(role)) throw new Error('the schema has no Role enum');
    expect(role.getValues().map((v) => v.name)).toEqual(Object.keys(DEFAULT_ROLES));
    expect(defaultRoleCatalog().expand('ADMIN')).toEqual(['ADMIN', 'USER']);
    expect(REQUIRED_ROLES).toEqual(['USER', 'ADMIN']);
  });
});

describe('hasRole', () => {
  it('is a lookup in the expanded roles of a viewer gatehouse built, and ADMIN holds every role', () => {
    expect(hasRole({ id: 'u', roles: ['MODERATOR', 'USER'], via: 'jwt' }, 'USER')).toBe(true);
    expect(hasRole({ id: 'u', roles: ['ADMIN'], via: 'jwt' }, 'USER')).toBe(true);
    expect(hasRole({ id: 'u', roles: ['ADMIN'], via: 'jwt' }, 'MODERATOR')).toBe(true);
    expect(hasRole({ id: 'u', roles: ['USER'], via: 'jwt' }, 'ADMIN')).toBe(false);
    expect(hasRole(null, 'USER')).toBe(false);
  });

  it('expands a hand-built viewer through the catalog it is given', () => {
    const team = roleCatalogOf('Role', { USER: [], MODERATOR: ['USER'], ADMIN: ['MODERATOR'] }, REQUIRED_ROLES);
    const handBuilt = { id: 'u', roles: ['MODERATOR'], via: 'jwt' as const };
    expect(hasRole(handBuilt, 'USER')).toBe(false);
    expect(hasRole(handBuilt, 'USER', team)).toBe(true);
  });
});

describe('mostSeniorRole', () => {
  const team = roleCatalogOf(
    'Role',
    { USER: [], SUPPORT: ['USER'], ACCOUNTANT: ['USER'], AUDITOR: ['ACCOUNTANT'], ADMIN: ['SUPPORT', 'AUDITOR'] },
    REQUIRED_ROLES,
  );
  it('is the granted role that includes every other', () => {
    expect(mostSeniorRole(team, ['USER', 'ADMIN', 'SUPPORT'])).toBe('ADMIN');
    expect(mostSeniorRole(team, ['USER'])).toBe('USER');
  });

  it('when none includes the others, the one including the most (the later declared on a tie)', () => {
    expect(mostSeniorRole(team, ['SUPPORT', 'AUDITOR'])).toBe('AUDITOR');
    expect(mostSeniorRole(team, ['SUPPORT', 'ACCOUNTANT'])).toBe('ACCOUNTANT');
    expect(mostSeniorRole(team, [])).toBeUndefined();
  });
});
