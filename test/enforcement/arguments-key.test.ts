// argumentsKey: a policy's verdict for one field's arguments is reused only for equal arguments.
// JSON.stringify wrote the same text for values that differ (a Symbol an enum maps to is left out,
// NaN is null, any class instance is {}), so a verdict could answer other arguments.
import { argumentsKey } from '../../src/enforcement/policy-verdicts';

class Opaque {
  readonly #value: number;
  constructor(value: number) {
    this.#value = value;
  }
  get value(): number {
    return this.#value;
  }
}

it.each([
  ['Symbols an enum maps to', { level: Symbol('low') }, { level: Symbol('high') }],
  ['NaN and null', { n: Number.NaN }, { n: null }],
  ['Infinity and null', { n: Number.POSITIVE_INFINITY }, { n: null }],
  ['-0 and 0', { n: -0 }, { n: 0 }],
  ['class instances with private state', { a: new Opaque(1) }, { a: new Opaque(2) }],
  ['Maps', { m: new Map([[1, 2]]) }, { m: new Map() }],
  ['Dates', { d: new Date(1) }, { d: new Date(2) }],
  ['a Date and its ISO text', { d: new Date(0) }, { d: new Date(0).toISOString() }],
  ['a string and a number', { s: '1' }, { s: 1 }],
  ['lists', { l: [1, [2]] }, { l: [[1], 2] }],
])('%s get different keys', (_case, a, b) => {
  expect(argumentsKey(a)).not.toBe(argumentsKey(b));
});

it('gives equal arguments the same key, whatever the order of their input fields', () => {
  expect(argumentsKey({ filter: { a: 1, b: [true, 'x'] }, d: new Date(5) })).toBe(
    argumentsKey({ d: new Date(5), filter: { b: [true, 'x'], a: 1 } }),
  );
  expect(argumentsKey(Object.assign(Object.create(null), { a: 1 }))).toBe(argumentsKey({ a: 1 }));
});

it('gives a cycle a key of its own each time rather than failing', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic['self'] = cyclic;
  expect(argumentsKey({ c: cyclic })).not.toBe(argumentsKey({ c: cyclic }));
});
