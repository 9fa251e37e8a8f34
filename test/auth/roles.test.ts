import { isEnumType } from 'graphql';
import { expandRole, holdsRole, ROLE_HIERARCHY, ROLES, rolesOf, rolesOfAll, seniorRole } from '../../src/auth/roles';
import { hasRole } from '../../src/auth/viewer';
import { buildSourceSchema } from '../../src/graphql/schema';

describe('ROLES', () => {
  it("is the schema's Role enum, value for value, and covers every role of the hierarchy", () => {
    const role = buildSourceSchema().getType('Role');
    if (!isEnumType(role)) throw new Error('the schema has no Role enum');
    expect(role.getValues().map((v) => v.name)).toEqual(ROLES);
    for (const [role, included] of Object.entries(ROLE_HIERARCHY)) expect(ROLES).toEqual(expect.arrayContaining([role, ...included]));
  });
});

describe('rolesOf', () => {
  it('expands a stored role into every role it holds, itself first', () => {
    expect(rolesOf('ADMIN')).toEqual(['ADMIN', 'USER']);
    expect(rolesOf('USER')).toEqual(['USER']);
  });

  it('expands each role once: the same frozen array every time', () => {
    expect(rolesOf('ADMIN')).toBe(rolesOf('ADMIN'));
    expect(Object.isFrozen(rolesOf('ADMIN'))).toBe(true);
  });

  it('leaves a role outside the hierarchy as itself', () => {
    expect(rolesOf('AUDITOR')).toEqual(['AUDITOR']);
  });
});

describe('rolesOfAll', () => {
  it('adds up several granted roles, each expanded and listed once', () => {
    expect(rolesOfAll(['USER', 'ADMIN'])).toEqual(['USER', 'ADMIN']);
    expect(rolesOfAll(['ADMIN', 'USER'])).toEqual(['ADMIN', 'USER']);
    expect(rolesOfAll(['ADMIN'])).toBe(rolesOf('ADMIN'));
    expect(rolesOfAll([])).toEqual([]);
  });
});

describe('holdsRole', () => {
  it('lets a role satisfy itself and the roles it includes', () => {
    expect(holdsRole(['USER'], 'USER')).toBe(true);
    expect(holdsRole(rolesOf('ADMIN'), 'USER')).toBe(true);
    expect(holdsRole(['ADMIN'], 'USER')).toBe(true);
    expect(holdsRole(['ADMIN'], 'ADMIN')).toBe(true);
  });

  it('never goes up the hierarchy, and an empty set holds nothing', () => {
    expect(holdsRole(['USER'], 'ADMIN')).toBe(false);
    expect(holdsRole(rolesOf('USER'), 'ADMIN')).toBe(false);
    expect(holdsRole([], 'USER')).toBe(false);
  });

  it('is what hasRole asks, for a viewer built by hand', () => {
    expect(hasRole({ id: 'u', roles: ['ADMIN'], via: 'jwt' }, 'USER')).toBe(true);
    expect(hasRole({ id: 'u', roles: ['USER'], via: 'jwt' }, 'ADMIN')).toBe(false);
    expect(hasRole(null, 'USER')).toBe(false);
  });
});

describe('seniorRole', () => {
  it('names the role that includes every other, whatever the order', () => {
    expect(seniorRole(['USER', 'ADMIN'])).toBe('ADMIN');
    expect(seniorRole(['ADMIN', 'USER'])).toBe('ADMIN');
    expect(seniorRole(['USER'])).toBe('USER');
  });

  it('names none for an empty set or roles no one of which includes the others', () => {
    expect(seniorRole([])).toBeUndefined();
    expect(seniorRole(['USER', 'AUDITOR'])).toBeUndefined();
  });
});

describe('expandRole', () => {
  it('is the expansion behind the fixed hierarchy', () => {
    expect(ROLE_HIERARCHY).toEqual({ ADMIN: ['USER'] });
    expect(expandRole('ADMIN', ROLE_HIERARCHY)).toEqual(rolesOf('ADMIN'));
  });

  it('follows a hierarchy transitively and ends on cycles', () => {
    const hierarchy = { OWNER: ['ADMIN'], ADMIN: ['USER'], A: ['B'], B: ['A'] };
    expect(expandRole('OWNER', hierarchy)).toEqual(['OWNER', 'ADMIN', 'USER']);
    expect(expandRole('A', hierarchy)).toEqual(['A', 'B']);
  });
});
