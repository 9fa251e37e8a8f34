import { rolesOf, rolesSatisfy } from '../../src/auth/viewer';

describe('rolesSatisfy', () => {
  it('accepts the role itself and roles that include it', () => {
    expect(rolesSatisfy(['USER'], 'USER')).toBe(true);
    expect(rolesSatisfy(['ADMIN'], 'USER')).toBe(true);
    expect(rolesSatisfy(['ADMIN'], 'ADMIN')).toBe(true);
  });

  it('refuses a lower role and no role at all', () => {
    expect(rolesSatisfy(['USER'], 'ADMIN')).toBe(false);
    expect(rolesSatisfy([], 'USER')).toBe(false);
  });

  it('follows a custom hierarchy transitively and survives cycles', () => {
    const hierarchy = { OWNER: ['ADMIN'], ADMIN: ['USER'], A: ['B'], B: ['A'] };
    expect(rolesSatisfy(['OWNER'], 'USER', hierarchy)).toBe(true);
    expect(rolesSatisfy(['A'], 'USER', hierarchy)).toBe(false);
  });
});

describe('rolesOf', () => {
  it('expands a stored role into every role it holds', () => {
    expect(rolesOf('ADMIN')).toEqual(['ADMIN', 'USER']);
    expect(rolesOf('USER')).toEqual(['USER']);
  });
});
