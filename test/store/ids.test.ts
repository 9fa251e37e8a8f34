import { newId } from '../../src/store/ids';

describe('newId', () => {
  it('makes version-7 UUIDs', () => {
    expect(newId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('sorts in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => newId(1_800_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('puts later milliseconds after earlier ones', () => {
    const a = newId(1_900_000_000_000);
    const b = newId(1_900_000_000_001);
    expect(a < b).toBe(true);
    expect(b.slice(0, 13).replace('-', '')).toBe((1_900_000_000_001).toString(16).padStart(12, '0'));
  });
});
