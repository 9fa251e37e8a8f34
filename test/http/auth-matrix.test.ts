import { buildDemoSourceSchema } from '../helpers/demo';
/*
 * A test matrix that writes itself: for every field the schema's directives protect, derive one
 * minimal operation that reaches it, and run it through the real HTTP server as each kind of
 * caller. The expected answer comes from the directives alone, so a field added tomorrow is tested
 * without anyone writing a test.
 */
import {
  getNamedType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isAbstractType,
  isScalarType,
  type GraphQLSchema,
} from 'graphql';
import { type FieldRequirement, fieldRequirement } from '../../src/enforcement/directives';
import type { Viewer } from '../../src/auth/viewer';
import { createApiKey } from '../../src/services/api-keys';
import { createUser } from '../../src/services/accounts';
import { type HttpHarness, startHttpServer, type WireError } from '../helpers/http';

interface Step {
  readonly type: GraphQLObjectType;
  readonly field: GraphQLField<unknown, unknown>;
}

/** A literal for an argument of this type: the smallest well-formed value. */
function literal(type: GraphQLInputType): string {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return `[${literal(type.ofType)}]`;
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return `{ ${fields.map((f) => `${f.name}: ${literal(f.type)}`).join(', ')} }`;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'ID':
        return '"00000000-0000-4000-8000-000000000000"';
      case 'Int':
        return '1';
      case 'Float':
        return '1.5';
      case 'Boolean':
        return 'true';
      case 'DateTime':
        return '"2026-01-01T00:00:00Z"';
      default:
        return '"matrix"';
    }
  }
  throw new Error(`no literal for ${String(type)}`);
}

function requiredArgs(args: readonly GraphQLArgument[]): string {
  const required = args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  return required.length === 0 ? '' : `(${required.map((a) => `${a.name}: ${literal(a.type)}`).join(', ')})`;
}

/**
 * The cheapest path from a root to `target`: fewest fields, and a required argument costs like
 * three more fields (arguments with made-up values tend to find nothing to return).
 */
function pathTo(schema: GraphQLSchema, target: { type: GraphQLObjectType; field: string }): Step[] {
  const roots = [schema.getQueryType(), schema.getMutationType()].filter((t): t is GraphQLObjectType => !!t);
  const best = new Map<string, { cost: number; path: Step[] }>();
  let frontier: Array<{ type: GraphQLObjectType; cost: number; path: Step[] }> = roots.map((type) => ({ type, cost: 0, path: [] }));
  let found: { cost: number; path: Step[] } | undefined;
  while (frontier.length > 0) {
    const next: typeof frontier = [];
    for (const { type, cost, path } of frontier) {
      for (const field of Object.values(type.getFields())) {
        const stepCost = cost + 1 + 3 * field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined).length;
        const steps = [...path, { type, field }];
        if (type === target.type && field.name === target.field) {
          if (found === undefined || stepCost < found.cost) found = { cost: stepCost, path: steps };
          continue;
        }
        const named = getNamedType(field.type);
        const types = isObjectType(named) ? [named] : isAbstractType(named) ? schema.getPossibleTypes(named) : [];
        for (const child of types) {
          const seen = best.get(child.name);
          if (seen !== undefined && seen.cost <= stepCost) continue;
          best.set(child.name, { cost: stepCost, path: steps });
          next.push({ type: child, cost: stepCost, path: steps });
        }
      }
    }
    frontier = next;
  }
  if (found === undefined) throw new Error(`${target.type.name}.${target.field} is not reachable from a root`);
  return found.path;
}

function operationFor(schema: GraphQLSchema, path: readonly Step[]): string {
  let body = '';
  for (let i = path.length - 1; i >= 0; i--) {
    const { field } = path[i]!;
    const childType = path[i + 1]?.type;
    const named = getNamedType(field.type);
    let selection = '';
    if (i === path.length - 1) selection = isCompositeType(named) ? ' { __typename }' : '';
    else selection = isAbstractType(named) ? ` { ... on ${childType!.name} { ${body} } }` : ` { ${body} }`;
    body = `${field.name}${requiredArgs(field.args)}${selection}`;
  }
  return `${path[0]!.type === schema.getMutationType() ? 'mutation' : 'query'} { ${body} }`;
}

/**
 * The expected decision, written out independently of the code under test: anonymous callers pass
 * only public fields; an ADMIN holds ADMIN and USER; every role the field names must be held.
 */
function refuses(requirement: FieldRequirement, viewer: Viewer | null): boolean {
  if (!requirement.signedIn) return false;
  if (viewer === null) return true;
  const held = viewer.roles.includes('ADMIN') ? ['ADMIN', 'USER'] : viewer.roles;
  return !requirement.roles.every((role) => held.includes(role));
}

interface Caller {
  readonly name: string;
  readonly viewer: Viewer | null;
  headers: Record<string, string>;
  /** The account behind a signed-in caller. */
  email?: string;
}

const schema = buildDemoSourceSchema();
const protectedFields: Array<{ type: GraphQLObjectType; field: string }> = [];
for (const type of Object.values(schema.getTypeMap())) {
  if (!isObjectType(type) || type.name.startsWith('__')) continue;
  for (const field of Object.keys(type.getFields())) {
    if (fieldRequirement(schema, type, field).signedIn) protectedFields.push({ type, field });
  }
}

const callers: Caller[] = [
  { name: 'anonymous', viewer: null, headers: {} },
  { name: 'USER (JWT)', viewer: { id: '', roles: ['USER'], via: 'jwt' }, headers: {} },
  { name: 'USER (API key)', viewer: { id: '', roles: ['USER'], via: 'api-key' }, headers: {} },
  { name: 'ADMIN (JWT)', viewer: { id: '', roles: ['ADMIN'], via: 'jwt' }, headers: {} },
  { name: 'ADMIN (API key)', viewer: { id: '', roles: ['ADMIN'], via: 'api-key' }, headers: {} },
];

const cases = protectedFields.flatMap(({ type, field }) =>
  callers.map((caller) => ({ coordinate: `${type.name}.${field}`, type, field, caller })),
);

describe('the generated authorization matrix', () => {
  let server: HttpHarness;

  beforeAll(async () => {
    server = await startHttpServer();
    const origin = { actorId: null, address: 'matrix', source: 'request' } as const;
    for (const role of ['USER', 'ADMIN'] as const) {
      const user = await createUser(server.app, { email: `${role.toLowerCase()}@matrix.test`, password: 'matrix password', role }, origin);
      const viewer: Viewer = { id: user.id, roles: [role], via: 'api-key' };
      const key = await createApiKey(server.app, viewer, { name: 'matrix' }, origin);
      for (const caller of callers) {
        if (caller.viewer?.roles[0] !== role) continue;
        caller.email = user.email;
        caller.headers = caller.viewer.via === 'jwt' ? {} : { 'x-api-key': key.secret };
      }
    }
  });
  afterAll(() => server.close());

  it('finds protected fields from the SDL alone: root fields, role fields and nested ones', () => {
    const coordinates = protectedFields.map(({ type, field }) => `${type.name}.${field}`);
    expect(coordinates).toEqual(
      expect.arrayContaining(['Query.me', 'Query.users', 'Mutation.createNote', 'Mutation.setUserRole', 'User.apiKeys']),
    );
    expect(coordinates).not.toContain('Query.publicMessage');
  });

  it.each(cases)('$coordinate as $caller.name', async ({ type, field, caller }) => {
    const path = pathTo(schema, { type, field });
    const query = operationFor(schema, path);
    // The first field on the path that refuses this caller decides the answer.
    const deniedAt = path.findIndex((step) => refuses(fieldRequirement(schema, step.type, step.field.name), caller.viewer));
    // A new session for every case: cases such as logoutEverywhere end the caller's sessions.
    if (caller.viewer?.via === 'jwt') {
      const login = await server.gql('mutation ($e: String!) { login(email: $e, password: "matrix password") { accessToken } }', {
        variables: { e: caller.email },
      });
      caller.headers = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
    }
    const response = await server.gql(query, { headers: caller.headers });
    expect(response.status).toBe(200);
    const authErrors = (response.body.errors ?? [])
      .filter((e: WireError) => e.extensions?.['code'] === 'UNAUTHENTICATED' || e.extensions?.['code'] === 'FORBIDDEN')
      .map((e: WireError) => ({ path: (e.path ?? []).filter((p) => typeof p === 'string'), code: e.extensions?.['code'] }));
    if (deniedAt === -1) {
      expect({ query, authErrors }).toEqual({ query, authErrors: [] });
    } else {
      const expected = {
        path: path.slice(0, deniedAt + 1).map((s) => s.field.name),
        code: caller.viewer === null ? 'UNAUTHENTICATED' : 'FORBIDDEN',
      };
      expect({ query, authErrors }).toEqual({ query, authErrors: [expected] });
    }
  });
});
