// A policy on a field with arguments decides for those arguments only, over gatehouse's HTTP server.
// Before: the verdict was kept per object, so a caller who first asked `body(redacted: true)` (which
// the policy allows anyone) then read `body(redacted: false)` (the owner's) in the same request.
import { GraphQLScalarType, Kind } from 'graphql';
import type { Policies, PolicyInput } from '../../src/index';
import { signUp } from '../helpers/accounts';
import { type HttpHarness, startHttpServer } from '../helpers/http';

interface Doc {
  readonly id: string;
  readonly ownerId: string;
}

const typeDefs = /* GraphQL */ `
  type Doc {
    id: ID!
    "The redacted text to anyone signed in; the full text to its owner."
    body(redacted: Boolean!): String @policy(policies: [["doc.body"]])
    "A field of the object with no arguments, under the same policy."
    title: String @policy(policies: [["doc.body"]])
    "Two fields with arguments the policy reads: a verdict for one field is not the other's."
    notes(redacted: Boolean! = true): String @policy(policies: [["doc.field"]])
    draft(redacted: Boolean! = true): String @policy(policies: [["doc.field"]])
    "An argument whose scalar parses to a class instance with no enumerable property (JSON writes {} for any)."
    shared(with: Account!): String @policy(policies: [["doc.shared"]])
  }
  scalar Account
  extend type Query {
    doc: Doc @public
  }
`;

let calls = 0;
/** A custom scalar's value as some libraries make them: a class instance whose state is private. */
class Account {
  readonly #name: string;
  constructor(name: string) {
    this.#name = name;
  }
  get name(): string {
    return this.#name;
  }
}

const policies: Policies = {
  'doc.shared': ({ args }: PolicyInput<Doc>) => (args['with'] as Account).name === 'public',
  'doc.body': ({ viewer, object, args }: PolicyInput<Doc>) => {
    calls++;
    return viewer !== null && (args['redacted'] === true || object?.ownerId === viewer.id);
  },
  'doc.field': ({ viewer, object, coordinate }: PolicyInput<Doc>) =>
    viewer !== null && (coordinate === 'Doc.notes' || object?.ownerId === viewer.id),
};

const resolvers = {
  Query: { doc: () => ({ id: 'd1', ownerId: 'someone else' }) },
  Account: new GraphQLScalarType({
    name: 'Account',
    parseValue: (value) => new Account(String(value)),
    parseLiteral: (ast) => new Account(ast.kind === Kind.STRING ? ast.value : ''),
    serialize: (value) => (value as Account).name,
  }),
  Doc: {
    body: (_doc: Doc, { redacted }: { redacted: boolean }) => (redacted ? '[redacted]' : 'the secret'),
    title: () => 'title',
    notes: () => 'notes',
    draft: () => 'the draft',
    shared: (_doc: Doc, args: { with: Account }) => `shared with ${args.with.name}`,
  },
};

describe('@policy on a field with arguments', () => {
  let h: HttpHarness;
  let as: Record<string, string>;

  beforeAll(async () => {
    h = await startHttpServer({ app: { typeDefs, resolvers, policies } });
    as = { authorization: `Bearer ${(await signUp(h)).accessToken}` };
  });
  afterAll(() => h?.close());

  it('does not answer arguments the policy denies with the verdict for arguments it allowed', async () => {
    const response = await h.gql('{ doc { a: body(redacted: true) b: body(redacted: false) c: body(redacted: true) } }', { headers: as });
    expect(response.body.data).toEqual({ doc: { a: '[redacted]', b: null, c: '[redacted]' } });
    expect(response.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['doc', 'b'], 'FORBIDDEN']]);
  });

  it('asks once per object, field and arguments', async () => {
    calls = 0;
    const response = await h.gql('{ doc { a: body(redacted: true) b: body(redacted: true) title } }', { headers: as });
    expect(response.body.data).toEqual({ doc: { a: '[redacted]', b: '[redacted]', title: null } });
    // body(redacted: true) once; title (no arguments, args {}) once.
    expect(calls).toBe(2);
  });

  it('does not answer one field with the verdict another field with the same arguments got', async () => {
    const response = await h.gql('{ doc { notes draft } }', { headers: as });
    expect(response.body.data).toEqual({ doc: { notes: 'notes', draft: null } });
  });

  it('does not answer a custom scalar argument with the verdict another value of it got (class instances, inline and in variables)', async () => {
    const inline = await h.gql('{ doc { a: shared(with: "public") b: shared(with: "private") } }', { headers: as });
    expect(inline.body.data).toEqual({ doc: { a: 'shared with public', b: null } });
    const variables = await h.gql('query ($p: Account!, $q: Account!) { doc { a: shared(with: $p) b: shared(with: $q) } }', {
      headers: as,
      variables: { p: 'public', q: 'private' },
    });
    expect(variables.body.data).toEqual({ doc: { a: 'shared with public', b: null } });
    expect(variables.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['doc', 'b'], 'FORBIDDEN']]);
  });
});
