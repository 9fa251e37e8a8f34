import { buildSchema, type GraphQLSchema, parse, validate } from 'graphql';
import { withoutHiddenSuggestions } from '../../src/enforcement/hidden-suggestions';

// The whole schema, and what one caller sees of it (as buildVisibleSchema would leave it).
const whole = buildSchema(/* GraphQL */ `
  enum Color { RED ROSE }
  input Filter { color: Color colour: String secret: String }
  interface Thing { id: ID! }
  type Box implements Thing { id: ID! lid: String lids: String }
  type Vault implements Thing { id: ID! lid: String }
  type Query { box(size: Int, sizes: Int): Box boxes(f: Filter): [Box] vault: Vault vaults(size: Int): [Vault] thing: Thing }
`);
const visible = buildSchema(/* GraphQL */ `
  enum Color { RED ROSE }
  input Filter { color: Color colour: String }
  interface Thing { id: ID! }
  type Box implements Thing { id: ID! lid: String }
  type Query { box(size: Int, sizes: Int): Box boxes(f: Filter): [Box] thing: Thing }
`);

/** graphql's own messages for `query` on the whole schema, then filtered for the caller. */
function messages(query: string, schema: GraphQLSchema = whole): { whole: string[]; caller: string[] } {
  const errors = validate(schema, parse(query)).map((e) => e.message);
  return { whole: errors, caller: errors.map((m) => withoutHiddenSuggestions(m, visible)) };
}

describe('withoutHiddenSuggestions', () => {
  it('keeps suggested fields the caller sees on that type, drops hidden ones', () => {
    const { whole: all, caller } = messages('{ box { lidz } vault2: vault { id } }');
    expect(all[0]).toBe('Cannot query field "lidz" on type "Box". Did you mean "lid", "lids", or "id"?');
    expect(caller[0]).toBe('Cannot query field "lidz" on type "Box". Did you mean "lid" or "id"?');
    expect(messages('{ vaul { id } }').caller).toEqual(['Cannot query field "vaul" on type "Query".']);
  });

  it('under a type hidden from the caller, suggests nothing', () => {
    const { whole: all, caller } = messages('{ vault { lidd } }');
    expect(all[0]).toContain('Did you mean "lid" or "id"?');
    expect(caller[0]).toBe('Cannot query field "lidd" on type "Vault".');
  });

  it('arguments of a visible field stay; of a hidden field, go', () => {
    expect(messages('{ box(siz: 1) { id } }').caller[0]).toBe(
      'Unknown argument "siz" on field "Query.box". Did you mean "size" or "sizes"?',
    );
    expect(messages('{ vaults(siz: 1) { id } }').caller[0]).toBe('Unknown argument "siz" on field "Query.vaults".');
  });

  it('type names, input fields and enum values: only visible ones', () => {
    expect(messages('{ ...F } fragment F on Vaul { id }').caller[0]).toBe('Unknown type "Vaul".');
    expect(messages('{ ...F } fragment F on Bx { id }').caller[0]).toBe('Unknown type "Bx". Did you mean "Box"?');
    const input = messages('{ boxes(f: { secre: "x", colr: "y" }) { id } }');
    expect(input.whole.join('\n')).toContain('"secret"');
    expect(input.caller.join('\n')).not.toContain('"secret"');
    expect(input.caller.join('\n')).toContain('Did you mean "color" or "colour"?');
    expect(messages('{ boxes(f: { color: REDD }) { id } }').caller[0]).toBe(
      'Value "REDD" does not exist in "Color" enum. Did you mean the enum value "RED"?',
    );
  });

  it('an abstract type: suggests only visible types to spread on', () => {
    const { whole: all, caller } = messages('{ thing { lid } }');
    expect(all[0]).toBe('Cannot query field "lid" on type "Thing". Did you mean to use an inline fragment on "Box" or "Vault"?');
    expect(caller[0]).toBe('Cannot query field "lid" on type "Thing". Did you mean to use an inline fragment on "Box"?');
  });

  it('a wording it does not know loses every suggestion; a message without one is untouched', () => {
    expect(withoutHiddenSuggestions('Something new about "box". Did you mean "Vault"?', visible)).toBe('Something new about "box".');
    expect(withoutHiddenSuggestions('Cannot query field "x" on type "Box".', visible)).toBe('Cannot query field "x" on type "Box".');
  });
});
