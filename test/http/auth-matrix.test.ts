import { buildDemoSourceSchema } from '../helpers/demo';
/*
 * A test matrix that writes itself: for every field the schema's directives protect, derive one
 * minimal operation that reaches it, and run it through the real HTTP server as each kind of
 * caller. The expected answer comes from the directives alone, so a field added tomorrow is tested
 * without anyone writing a test.
 */
import { type GraphQLObjectType, isObjectType } from 'graphql';
import { type FieldRequirement, fieldRequirement } from '../../src/enforcement/requirements';
import { argumentRulePaths, readArgumentPlan } from '../../src/enforcement/argument-rules';
import type { Viewer } from '../../src/auth/viewer';
import { createApiKey } from '../../src/services/api-keys';
import { createUser } from '../../src/services/accounts';
import { type HttpHarness, startHttpServer, type WireError } from '../helpers/http';
import { type AuthMapEntry, buildAuthMap } from '../../src/tools/auth-map';
import { startApolloHarness } from '../helpers/apollo';
import { operationFor, pathTo, type Step } from '../helpers/matrix-operations';

/**
 * The expected decision, written out independently of the code under test: anonymous callers pass
 * only public fields; the demo's roles: an ADMIN holds every role, a MODERATOR MODERATOR and USER;
 * of each `@hasRole` one role must be held (`anyOf`: any of its list); the
 * credential's kind must be one the field allows; a credential with a scope list must hold one of
 * the field's scope groups whole (no list: every scope).
 */
function refuses(requirement: FieldRequirement, viewer: Viewer | null): boolean {
  if (!requirement.signedIn) return false;
  if (viewer === null) return true;
  const held = viewer.roles.flatMap((role) => DEMO_HOLDS[role] ?? [role]);
  if (!requirement.roles.every((choice) => choice.some((role) => held.includes(role)))) return true;
  // These callers are members of no organization: an @inOrganization the request decides (an
  // argument) refuses them unless they hold its orRole. One on the object depends on data: below.
  const argumentRules = requirement.organizations.filter((rule) => rule.argument !== null);
  if (argumentRules.some((rule) => rule.orRole === null || !held.includes(rule.orRole))) return true;
  if (requirement.kinds !== null && !requirement.kinds.includes(viewer.via)) return true;
  const scopes = viewer.scopes;
  if (scopes !== undefined && requirement.scopes.length > 0)
    return !requirement.scopes.some((group) => group.every((s) => scopes.includes(s)));
  return false;
}

/** What each of the demo's roles holds (examples/notes/schema.graphql's enum Role), written out by hand. */
const DEMO_HOLDS: Readonly<Record<string, readonly string[]>> = {
  USER: ['USER'],
  MODERATOR: ['MODERATOR', 'USER'],
  ADMIN: ['ADMIN', 'MODERATOR', 'USER'],
};

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
  // Subscription roots are not served over HTTP: test/subscriptions/ covers them.
  if (!isObjectType(type) || type.name.startsWith('__') || type === schema.getSubscriptionType()) continue;
  for (const field of Object.keys(type.getFields())) {
    const requirement = fieldRequirement(schema, type, field);
    // Membership of the object's organization depends on data: test/http/auth-matrix-organizations.test.ts.
    if (requirement.signedIn && !requirement.organizations.some((rule) => rule.argument === null)) protectedFields.push({ type, field });
  }
}

const callers: Caller[] = [
  { name: 'anonymous', viewer: null, headers: {} },
  { name: 'USER (JWT)', viewer: { id: '', roles: ['USER'], via: 'jwt' }, headers: {} },
  { name: 'USER (API key)', viewer: { id: '', roles: ['USER'], via: 'api-key' }, headers: {} },
  { name: 'MODERATOR (JWT)', viewer: { id: '', roles: ['MODERATOR'], via: 'jwt' }, headers: {} },
  { name: 'MODERATOR (API key)', viewer: { id: '', roles: ['MODERATOR'], via: 'api-key' }, headers: {} },
  { name: 'ADMIN (JWT)', viewer: { id: '', roles: ['ADMIN'], via: 'jwt' }, headers: {} },
  { name: 'ADMIN (API key)', viewer: { id: '', roles: ['ADMIN'], via: 'api-key' }, headers: {} },
  // Keys made with an empty scope list: every field that asks for a scope refuses them.
  { name: 'USER (API key, no scopes)', viewer: { id: '', roles: ['USER'], via: 'api-key', scopes: [] }, headers: {} },
  { name: 'ADMIN (API key, no scopes)', viewer: { id: '', roles: ['ADMIN'], via: 'api-key', scopes: [] }, headers: {} },
];

const cases = protectedFields.flatMap(({ type, field }) =>
  callers.map((caller) => ({ coordinate: `${type.name}.${field}`, type, field, caller })),
);

/** Every rule on an argument or input field, at its path from its field (`Mutation.createNote(authorId)`). */
const protectedArguments: Array<{ type: GraphQLObjectType; field: string; argument: string; requirement: FieldRequirement }> = [];
for (const type of Object.values(schema.getTypeMap())) {
  if (!isObjectType(type) || type.name.startsWith('__')) continue;
  for (const field of Object.values(type.getFields())) {
    const plan = readArgumentPlan(schema, type.name, field);
    if (plan === null) continue;
    for (const { path, slot } of argumentRulePaths(plan))
      if (slot.requirement !== null) protectedArguments.push({ type, field: field.name, argument: path, requirement: slot.requirement });
  }
}
const argumentCases = protectedArguments.flatMap((rule) =>
  callers.map((caller) => ({ coordinate: `${rule.type.name}.${rule.field}(${rule.argument})`, ...rule, caller })),
);

/**
 * The servers the matrix runs against, with the same expected outcomes: gatehouse's own, and an
 * Apollo Server a team constructs with gatehouse/apollo (startStandaloneServer).
 */
const servers: ReadonlyArray<[string, () => Promise<Pick<HttpHarness, 'app' | 'gql' | 'close'>>]> = [
  ["gatehouse's server", () => startHttpServer()],
  ['an Apollo Server with gatehouseForApollo', () => startApolloHarness()],
];

describe.each(servers)('the generated authorization matrix (%s)', (_name, start) => {
  let server: Pick<HttpHarness, 'app' | 'gql' | 'close'>;

  beforeAll(async () => {
    server = await start();
    const origin = { actorId: null, address: 'matrix', source: 'request' } as const;
    for (const role of ['USER', 'MODERATOR', 'ADMIN'] as const) {
      const user = await createUser(server.app, { email: `${role.toLowerCase()}@matrix.test`, password: 'matrix password', role }, origin);
      const maker: Viewer = { id: user.id, roles: [role], via: 'jwt' };
      const key = await createApiKey(server.app, maker, { name: 'matrix' }, origin);
      const unscoped = await createApiKey(server.app, maker, { name: 'matrix, no scopes', scopes: [] }, origin);
      expect(unscoped.apiKey.scopes).toEqual([]);
      for (const caller of callers) {
        if (caller.viewer?.roles[0] !== role) continue;
        caller.email = user.email ?? undefined;
        const secret = caller.viewer.scopes === undefined ? key.secret : unscoped.secret;
        caller.headers = caller.viewer.via === 'jwt' ? {} : { 'x-api-key': secret };
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

  it('covers scope and credential-kind denials: some cases refuse a caller for its scopes or its kind alone', () => {
    const scoped = protectedFields.filter(({ type, field }) => fieldRequirement(schema, type, field).scopes.length > 0);
    const kinded = protectedFields.filter(({ type, field }) => fieldRequirement(schema, type, field).kinds !== null);
    expect(scoped.map(({ type, field }) => `${type.name}.${field}`)).toEqual(expect.arrayContaining(['Mutation.createNote']));
    expect(kinded.map(({ type, field }) => `${type.name}.${field}`)).toEqual(
      expect.arrayContaining(['Mutation.createApiKey', 'Mutation.revokeApiKey', 'Mutation.setUserRole']),
    );
  });

  it('finds rules on arguments from the SDL alone', () => {
    expect(argumentCases.map((c) => c.coordinate)).toEqual(expect.arrayContaining(['Mutation.createNote(authorId)']));
  });

  type MatrixCase = (typeof cases)[number] & { readonly argument?: string; readonly requirement?: FieldRequirement };
  it.each<MatrixCase>([...cases, ...argumentCases])('$coordinate as $caller.name', async (testCase) => {
    const { type, field, caller } = testCase;
    const path = pathTo(schema, { type, field });
    if (path === undefined) throw new Error(`${type.name}.${field} is not reachable from a root`);
    const supplied = testCase.argument?.split('.') ?? [];
    const query = operationFor(schema, path, supplied);
    // The first field on the path that refuses this caller decides the answer; then the argument's
    // rule, which denies the field it belongs to.
    let deniedAt = path.findIndex((step) => refuses(fieldRequirement(schema, step.type, step.field.name), caller.viewer));
    if (deniedAt === -1 && testCase.requirement !== undefined && refuses(testCase.requirement, caller.viewer)) deniedAt = path.length - 1;
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
      .map((e: WireError) => ({ path: (e.path ?? []).filter((p) => typeof p === 'string'), code: e.extensions?.['code'] }))
      // A field denied on each item of a list (`myApiKeys { owner }` with two keys) errs once per item: one field, one denial.
      .filter((e, i, all) => all.findIndex((f) => JSON.stringify(f) === JSON.stringify(e)) === i);
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

/*
 * The map tells the truth: for every field of the auth map and every caller it names (anonymous and
 * each role, signed in with a session), a request as that caller through the real HTTP server is
 * allowed exactly when the map says so. The expectation comes from the map alone (`reachableBy`),
 * so a map that drifts from enforcement fails here. A caller the map lets through only as an owner,
 * a member or by policy depends on data: those cases are counted here and played from the map in
 * test/http/auth-matrix-data.test.ts (owners, organization roles, gatehouse's own policies) and
 * test/http/auth-matrix-policies.test.ts (the application's policies, with verdicts it sets), the
 * rest by the ownership tests below; so are the Subscription root's fields, which HTTP does not
 * serve (test/subscriptions/ covers them). Data for
 * the paths to run through: a PUBLIC note by the USER. A denial is an error naming a coordinate
 * of the path (as the directives word them), not a refusal by a resolver (a made-up refresh token).
 */
describe('the auth map agrees with the server', () => {
  const map = buildAuthMap(schema);
  const entries = new Map(map.entries.map((e) => [e.coordinate, e]));
  const mapCallers = ['anonymous', 'USER', 'MODERATOR', 'ADMIN'] as const;
  /** What the map says of a caller on a field: reaches it, only as an owner, or not at all. */
  const verdict = (entry: AuthMapEntry | undefined, caller: string): 'allow' | 'owner' | 'deny' => {
    const label = entry?.reachableBy.find((name) => name === caller || name.startsWith(`${caller} (`));
    return label === undefined ? 'deny' : label === caller ? 'allow' : 'owner';
  };
  const mapCases = map.entries.flatMap((entry) => mapCallers.map((caller) => ({ coordinate: entry.coordinate, caller })));
  let server: HttpHarness;
  const headers: Record<string, Record<string, string>> = { anonymous: {} };
  let notOverHttp = 0;

  beforeAll(async () => {
    server = await startHttpServer();
    const origin = { actorId: null, address: 'map', source: 'request' } as const;
    for (const role of ['USER', 'MODERATOR', 'ADMIN'] as const) {
      const user = await createUser(server.app, { email: `${role.toLowerCase()}@map.test`, password: 'map password', role }, origin);
      // A key each, so that paths through myApiKeys reach ApiKey's fields (createApiKey's own row is
      // `(policy)`: test/http/auth-matrix-policies.test.ts plays it).
      await createApiKey(server.app, { id: user.id, roles: [role], via: 'jwt' }, { name: 'map' }, origin);
    }
    const login = await server.gql('mutation { login(email: "user@map.test", password: "map password") { accessToken } }');
    const note = await server.gql('mutation { createNote(title: "t", body: "b", visibility: PUBLIC) { id } }', {
      headers: { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` },
    });
    expect(note.body.errors).toBeUndefined();
  });
  afterAll(() => server.close());

  it('names the callers this test plays: anonymous and each role', () => {
    const named = new Set(map.entries.flatMap((e) => e.reachableBy.map((label) => label.replace(/ \(.*$/, ''))));
    expect([...named].sort()).toEqual([...mapCallers].sort());
  });

  it.each(mapCases)('$coordinate as $caller', async ({ coordinate, caller }) => {
    // A row for an argument rule, `Mutation.createNote(authorId)`, is played by supplying that argument.
    const [, typeName, fieldName, argument] = /^(\w+)\.(\w+)(?:\((.+)\))?$/.exec(coordinate) as unknown as [
      string,
      string,
      string,
      string?,
    ];
    const type = schema.getType(typeName) as GraphQLObjectType;
    const expected = verdict(entries.get(coordinate), caller);
    if (expected === 'owner' || type === schema.getSubscriptionType() || entries.get(coordinate)?.fromViewer !== undefined) {
      notOverHttp++;
      return;
    }
    // A path on which the map lets this caller through every field before the target, if any.
    const open = pathTo(schema, { type, field: fieldName }, (t, f) => verdict(entries.get(`${t.name}.${f}`), caller) === 'allow');
    const path = open ?? pathTo(schema, { type, field: fieldName });
    if (path === undefined) throw new Error(`${coordinate} is not reachable from a root`);
    if (path.some((step, i) => i < path.length - 1 && verdict(entries.get(`${step.type.name}.${step.field.name}`), caller) === 'owner')) {
      notOverHttp++;
      return;
    }
    const rowOf = (step: Step, i: number) => (i === path.length - 1 ? coordinate : `${step.type.name}.${step.field.name}`);
    const deniedAt = path.findIndex((step, i) => verdict(entries.get(rowOf(step, i)), caller) === 'deny');
    // Expected from the map: denied on the first field of the path it says the caller does not reach.
    expect(open === undefined ? deniedAt !== -1 : deniedAt === -1 || deniedAt === path.length - 1).toBe(true);
    const query = operationFor(schema, path, argument?.split('.') ?? []);
    if (caller !== 'anonymous') {
      const login = await server.gql('mutation ($e: String!) { login(email: $e, password: "map password") { accessToken } }', {
        variables: { e: `${caller.toLowerCase()}@map.test` },
      });
      headers[caller] = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
    }
    const response = await server.gql(query, { headers: headers[caller] ?? {} });
    const coordinates = path.map((step) => `${step.type.name}.${step.field.name}`);
    const authErrors = (response.body.errors ?? [])
      .filter((e: WireError) => e.extensions?.['code'] === 'UNAUTHENTICATED' || e.extensions?.['code'] === 'FORBIDDEN')
      .filter((e: WireError) => coordinates.some((c) => e.message.includes(c)))
      .map((e: WireError) => (e.path ?? []).filter((p) => typeof p === 'string').join('.'));
    const expectedErrors =
      deniedAt === -1
        ? []
        : [
            path
              .slice(0, deniedAt + 1)
              .map((s) => s.field.name)
              .join('.'),
          ];
    expect({ query, authErrors }).toEqual({ query, authErrors: expectedErrors });
  });

  it('leaves only owner-dependent cases and subscription roots to other tests', () => {
    expect(notOverHttp).toBeLessThan(mapCases.length / 10);
  });
});

/*
 * Ownership rules cannot be derived from the SDL alone (who owns what depends on data), so each
 * @owner rule of the demo schema has an owner and a non-owner case here, over HTTP; a rule added to
 * the schema without one fails the first test, naming it.
 */
describe('ownership rules: the owner versus a non-owner', () => {
  let server: HttpHarness;
  const session: Record<'alice' | 'bob' | 'moderator' | 'admin', Record<string, string>> = { alice: {}, bob: {}, moderator: {}, admin: {} };
  const ids: Record<'alice' | 'bob', string> = { alice: '', bob: '' };
  const email = (who: string) => `${who}@owners.test`;

  beforeAll(async () => {
    server = await startHttpServer();
    const origin = { actorId: null, address: 'matrix', source: 'request' } as const;
    for (const who of ['alice', 'bob', 'moderator', 'admin'] as const) {
      const role = who === 'admin' ? 'ADMIN' : who === 'moderator' ? 'MODERATOR' : 'USER';
      const user = await createUser(server.app, { email: email(who), password: 'matrix password', role }, origin);
      if (who === 'alice' || who === 'bob') ids[who] = user.id;
      const login = await server.gql('mutation ($e: String!) { login(email: $e, password: "matrix password") { accessToken } }', {
        variables: { e: email(who) },
      });
      session[who] = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
    }
  });
  afterAll(() => server.close());

  const createNote = async (as: 'alice' | 'bob', visibility = 'PUBLIC'): Promise<string> => {
    const created = await server.gql(`mutation { createNote(title: "t", body: "b", visibility: ${visibility}) { id } }`, {
      headers: session[as],
    });
    expect(created.body.errors).toBeUndefined();
    return created.body.data?.['createNote']?.id as string;
  };
  const noteExists = async (id: string): Promise<boolean> =>
    (await server.gql('query ($id: ID!) { note(id: $id) { id } }', { variables: { id }, headers: session.admin })).body.data?.['note'] !==
    null;
  const authErrors = (errors: readonly WireError[] | undefined) =>
    (errors ?? []).map((e) => ({ path: e.path, code: e.extensions?.['code'] }));

  const cases: Record<string, () => Promise<void>> = {
    'User.email': async () => {
      const noteId = await createNote('alice');
      const authorEmail = 'query ($id: ID!) { note(id: $id) { title author { email } } }';
      const as = (headers: Record<string, string>) => server.gql(authorEmail, { variables: { id: noteId }, headers });
      // The owner, through the same path.
      const own = await as(session.alice);
      expect(own.body).toEqual({ data: { note: { title: 't', author: { email: email('alice') } } } });
      // A non-owner: null at the field, FORBIDDEN with its path, the rest resolves.
      const other = await as(session.bob);
      expect(other.body.data).toEqual({ note: { title: 't', author: { email: null } } });
      expect(authErrors(other.body.errors)).toEqual([{ path: ['note', 'author', 'email'], code: 'FORBIDDEN' }]);
      // Anonymous: UNAUTHENTICATED.
      const anonymous = await as({});
      expect(authErrors(anonymous.body.errors)).toEqual([{ path: ['note', 'author', 'email'], code: 'UNAUTHENTICATED' }]);
      // orRole: ADMIN.
      expect((await as(session.admin)).body).toEqual({ data: { note: { title: 't', author: { email: email('alice') } } } });
      // The caller of signUp/login owns the user in its AuthPayload although it is anonymous.
      const login = await server.gql('mutation { login(email: "bob@owners.test", password: "matrix password") { user { email } } }');
      expect(login.body.data?.['login']).toEqual({ user: { email: email('bob') } });
    },
    'Query.note': async () => {
      const read = (id: string, headers: Record<string, string>) =>
        server.gql('query ($id: ID!) { note(id: $id) { title } }', { variables: { id }, headers });
      const privateNote = await createNote('alice', 'PRIVATE');
      expect((await read(privateNote, session.alice)).body).toEqual({ data: { note: { title: 't' } } });
      const other = await read(privateNote, session.bob);
      expect(other.body.data).toEqual({ note: null });
      expect(authErrors(other.body.errors)).toEqual([{ path: ['note'], code: 'FORBIDDEN' }]);
      expect(other.text).not.toContain('"t"');
      expect(authErrors((await read(privateNote, {})).body.errors)).toEqual([{ path: ['note'], code: 'UNAUTHENTICATED' }]);
      expect((await read(privateNote, session.admin)).body).toEqual({ data: { note: { title: 't' } } });
      // The rule's open case: a PUBLIC note is anyone's to read.
      const publicNote = await createNote('alice', 'PUBLIC');
      for (const headers of [session.bob, {}]) expect((await read(publicNote, headers)).body).toEqual({ data: { note: { title: 't' } } });
    },
    'Mutation.deleteNote': async () => {
      const del = (id: string, headers: Record<string, string>) =>
        server.gql('mutation ($id: ID!) { deleteNote(id: $id) }', { variables: { id }, headers });
      const noteId = await createNote('alice', 'PRIVATE');
      // A non-owner: refused before anything runs, nothing deleted.
      const other = await del(noteId, session.bob);
      expect(other.body.data ?? null).toBeNull();
      expect(authErrors(other.body.errors)).toEqual([{ path: ['deleteNote'], code: 'FORBIDDEN' }]);
      expect(await noteExists(noteId)).toBe(true);
      // Anonymous: UNAUTHENTICATED, nothing deleted.
      expect(authErrors((await del(noteId, {})).body.errors)).toEqual([{ path: ['deleteNote'], code: 'UNAUTHENTICATED' }]);
      expect(await noteExists(noteId)).toBe(true);
      // The owner.
      expect((await del(noteId, session.alice)).body).toEqual({ data: { deleteNote: true } });
      expect(await noteExists(noteId)).toBe(false);
      // orRole: a MODERATOR deletes another's note, and so does an ADMIN (who holds MODERATOR).
      const bobs = await createNote('bob');
      expect((await del(bobs, session.moderator)).body).toEqual({ data: { deleteNote: true } });
      expect(await noteExists(bobs)).toBe(false);
      const bobsNext = await createNote('bob');
      expect((await del(bobsNext, session.admin)).body).toEqual({ data: { deleteNote: true } });
      expect(await noteExists(bobsNext)).toBe(false);
    },
    'Mutation.revokeApiKey': async () => {
      await keyOwnership(
        'mutation ($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }',
        'revokeApiKey',
        (key) => key.revoked_at !== null,
      );
    },
    'Mutation.rotateApiKey': async () => {
      await keyOwnership(
        'mutation ($id: ID!) { rotateApiKey(id: $id) { secret } }',
        'rotateApiKey',
        (key) => key.previous_secret_expires_at !== null,
      );
    },
  };

  /**
   * A key of alice's: bob is refused before anything runs (the key unchanged), anonymous is
   * UNAUTHENTICATED, alice and an ADMIN may; `changed` says whether the mutation ran on the key.
   */
  const keyOwnership = async (mutation: string, field: string, changed: (key: Record<string, unknown>) => boolean): Promise<void> => {
    const made = async () => {
      const created = await server.gql('mutation { createApiKey(name: "owned") { apiKey { id } } }', { headers: session.alice });
      expect(created.body.errors).toBeUndefined();
      return created.body.data?.['createApiKey']?.apiKey?.id as string;
    };
    const key = async (id: string) =>
      (await server.store.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow()) as Record<string, unknown>;
    const run = (id: string, headers: Record<string, string>) => server.gql(mutation, { variables: { id }, headers });
    const id = await made();
    const other = await run(id, session.bob);
    expect(other.body.data ?? null).toBeNull();
    expect(authErrors(other.body.errors)).toEqual([{ path: [field], code: 'FORBIDDEN' }]);
    expect(changed(await key(id))).toBe(false);
    expect(authErrors((await run(id, {})).body.errors)).toEqual([{ path: [field], code: 'UNAUTHENTICATED' }]);
    expect(changed(await key(id))).toBe(false);
    expect((await run(id, session.alice)).body.errors).toBeUndefined();
    expect(changed(await key(id))).toBe(true);
    const another = await made();
    expect((await run(another, session.admin)).body.errors).toBeUndefined();
    expect(changed(await key(another))).toBe(true);
  };

  it('has a case for every @owner rule in the schema', () => {
    const rules: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.keys(type.getFields()))
        if (fieldRequirement(schema, type, field).owner !== null) rules.push(`${type.name}.${field}`);
    }
    expect(rules.sort()).toEqual(Object.keys(cases).sort());
  });

  it.each(Object.keys(cases))('%s', (coordinate) => cases[coordinate]!());
});
