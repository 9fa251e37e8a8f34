import { RoleDeclarationError, roleCatalogOf } from '../../src/auth/role-catalog';

const TEAM = { USER: [], SUPPORT: ['USER'], ACCOUNTANT: ['USER'], MODERATOR: ['SUPPORT'], ADMIN: ['MODERATOR', 'ACCOUNTANT'] };

describe('roleCatalogOf', () => {
  const catalog = roleCatalogOf('Role', TEAM, ['USER', 'ADMIN']);

  it('lists the declared roles in declaration order', () => {
    expect(catalog.roles).toEqual(['USER', 'SUPPORT', 'ACCOUNTANT', 'MODERATOR', 'ADMIN']);
  });

  it('expands a role through every @includes chain, itself first, each once', () => {
    expect(catalog.expand('ADMIN')).toEqual(['ADMIN', 'MODERATOR', 'ACCOUNTANT', 'SUPPORT', 'USER']);
    expect(catalog.expand('MODERATOR')).toEqual(['MODERATOR', 'SUPPORT', 'USER']);
    expect(catalog.expand('USER')).toEqual(['USER']);
    expect(catalog.expand('ADMIN')).toBe(catalog.expand('ADMIN'));
    expect(Object.isFrozen(catalog.expand('ADMIN'))).toBe(true);
  });

  it('an undeclared role includes nothing but itself', () => {
    expect(catalog.expand('AUDITOR')).toEqual(['AUDITOR']);
    expect(catalog.holds(['AUDITOR'], 'USER')).toBe(false);
    expect(catalog.holds(['AUDITOR'], 'AUDITOR')).toBe(true);
  });

  it('expandAll is the union of the expansions, each once', () => {
    expect(catalog.expandAll(['ACCOUNTANT', 'SUPPORT'])).toEqual(['ACCOUNTANT', 'USER', 'SUPPORT']);
    expect(catalog.expandAll(['MODERATOR'])).toBe(catalog.expand('MODERATOR'));
    expect(catalog.expandAll([])).toEqual([]);
  });

  it('holds: a held role is the required one or includes it, transitively', () => {
    expect(catalog.holds(['ADMIN'], 'SUPPORT')).toBe(true);
    expect(catalog.holds(['MODERATOR'], 'USER')).toBe(true);
    expect(catalog.holds(['MODERATOR'], 'ACCOUNTANT')).toBe(false);
    expect(catalog.holds(['SUPPORT', 'ACCOUNTANT'], 'ACCOUNTANT')).toBe(true);
    expect(catalog.holds(['USER'], 'SUPPORT')).toBe(false);
    expect(catalog.holds([], 'USER')).toBe(false);
  });

  it('senior: the granted role that includes every other, or undefined', () => {
    expect(catalog.senior(['USER', 'ADMIN', 'SUPPORT'])).toBe('ADMIN');
    expect(catalog.senior(['SUPPORT', 'MODERATOR'])).toBe('MODERATOR');
    expect(catalog.senior(['USER'])).toBe('USER');
    expect(catalog.senior(['SUPPORT', 'ACCOUNTANT'])).toBeUndefined();
    expect(catalog.senior([])).toBeUndefined();
  });

  it.each([
    [
      'a cycle',
      { USER: [], A: ['B'], B: ['C'], C: ['A'], ADMIN: [] },
      /enum Role: @includes forms a cycle: A includes B includes C includes A/,
    ],
    ['a role including itself', { USER: ['USER'], ADMIN: [] }, /cycle: USER includes USER/],
    ['an unknown name', { USER: [], ADMIN: ['USR'] }, /enum Role: ADMIN @includes USR, which is not a value of enum Role/],
    ['a required role missing', { USER: [], ROOT: ['USER'] }, /enum Role must declare ADMIN/],
  ])('refuses %s with a RoleDeclarationError naming it', (_case, includes, message) => {
    expect(() => roleCatalogOf('Role', includes, ['USER', 'ADMIN'])).toThrow(RoleDeclarationError);
    expect(() => roleCatalogOf('Role', includes, ['USER', 'ADMIN'])).toThrow(message);
  });
});
