/*
 * The map tells the truth for policy-labelled entries too (test/http/auth-matrix.test.ts's "agrees
 * with the server" leaves them out: `USER (policy)` depends on code). What the map claims of such an
 * entry: a caller it lists `(policy)` reaches the field exactly when the other rules let it through
 * and the entry's policies (`policies`: per directive, an OR of AND lists) pass; a caller listed
 * plainly reaches it whatever they say; one not listed never does. So the application's policies
 * are served as the map names them, each with a verdict this test sets before each request, and
 * every combination of verdicts of the policies along the path is played as each caller the map
 * names, through the real HTTP server: the expected answer comes from the map's JSON alone. Played
 * for an application with policies of every shape (test/helpers/policy-matrix-app.ts) and for the
 * notes example that `npm start` serves, so a policy added to either is checked without a new test.
 */
import { declaredRoles } from '../../src/enforcement/declared-roles';
import type { Policies } from '../../src/enforcement/policies';
import { getNamedType } from 'graphql';
import { buildSourceSchema } from '../../src/graphql/schema';
import { createUser } from '../../src/services/accounts';
import { buildAuthMap } from '../../src/tools/auth-map';
import { startApolloHarness } from '../helpers/apollo';
import { type HttpHarness, startHttpServer, type WireError } from '../helpers/http';
import { applicationPolicyCases, GATEHOUSE_POLICY, type PolicyCase, policyNamesShown } from '../helpers/map-policy-cases';
import { operationFor } from '../helpers/matrix-operations';
import { eventually, openSocket } from '../helpers/ws';
import * as notes from '../../examples/notes';
import * as app from '../helpers/policy-matrix-app';

/** An application the matrix serves. */
interface Application {
  readonly typeDefs: string | readonly string[];
  readonly resolvers: object;
  readonly loaders?: object;
  readonly migrations?: object;
  /** Its root mutations that ran, in order. */
  readonly ran: string[];
  /** Makes the rows the operations find (every required ID argument is MATRIX_ID), once the callers are signed in. */
  seed(server: Server, headers: Readonly<Record<string, Record<string, string>>>): Promise<void>;
}

const notesRan: string[] = [];
const applications: ReadonlyArray<[string, Application]> = [
  [
    'an application with policies of every shape',
    { typeDefs: app.typeDefs, resolvers: app.resolvers, ran: app.ran, seed: async () => app.seed() },
  ],
  [
    'the notes example',
    {
      typeDefs: notes.typeDefs,
      resolvers: app.countingMutations(notes.resolvers, notesRan),
      loaders: notes.loaders,
      migrations: notes.migrations,
      ran: notesRan,
      // A PUBLIC note by the USER, for the paths through `notes`.
      seed: async (server, headers) => {
        const note = await server.gql('mutation { createNote(title: "t", body: "b", visibility: PUBLIC) { id } }', {
          headers: headers['USER'],
        });
        expect(note.body.errors).toBeUndefined();
      },
    },
  ],
];

/** The value at the end of `path` in `data` (`data` itself for an empty path), through the first item of each list. */
function valueAt(data: unknown, path: readonly string[]): unknown {
  let value = data;
  for (const key of path) {
    while (Array.isArray(value)) value = value[0];
    value = (value as Record<string, unknown> | null | undefined)?.[key];
  }
  while (Array.isArray(value)) value = value[0];
  return value;
}

/** The cases of one application and the policies to serve it with, each answering the verdict set for it. */
function matrixOf(application: Application) {
  const schema = buildSourceSchema(application as never);
  const map = buildAuthMap(schema);
  const callers = ['anonymous', ...declaredRoles(schema).roles];
  const verdicts: Record<string, boolean> = {};
  const consulted = new Set<string>();
  const names = [...new Set(map.entries.flatMap(policyNamesShown))].filter((n) => !GATEHOUSE_POLICY.test(n));
  const policies: Policies = Object.fromEntries(
    names.map((name) => [
      name,
      () => {
        consulted.add(name);
        return verdicts[name] === true;
      },
    ]),
  );
  return { schema, map, callers, verdicts, consulted, names, policies, ...applicationPolicyCases(schema, map, callers) };
}

const matrices = new Map(applications.map(([name, application]) => [name, matrixOf(application)]));

describe('the policy cases the map gives', () => {
  const { map, cases, entries, unplayed, callers } = matrices.get(applications[0]![0])!;
  it('cover type policies (through an interface too), an interface field’s policy, alternatives, AND lists, a role beside a policy, root queries, mutations and their results, a subscription', () => {
    expect(entries).toEqual(
      expect.arrayContaining([
        'Report.title',
        'Report.cost',
        'Invoice.total',
        'Ledger.id',
        'Memo.id',
        'Memo.secret',
        'Query.report',
        'Mutation.editInvoice',
        'Receipt.amount',
        'Subscription.receiptIssued',
        'Report.draft',
      ]),
    );
    expect(entries).toEqual(expect.arrayContaining(['Report.summary', 'Receipt.id']));
    // Each entry is played as every caller; one with policies is allowed under some verdicts and denied under others.
    const withPolicies = entries.filter((coordinate) => map.entries.find((e) => e.coordinate === coordinate)?.policies !== undefined);
    for (const coordinate of entries) {
      const played = cases.filter((c) => c.coordinate === coordinate);
      expect({ coordinate, callers: [...new Set(played.map((c) => c.caller))] }).toEqual({ coordinate, callers });
    }
    for (const coordinate of withPolicies) {
      const played = cases.filter((c) => c.coordinate === coordinate);
      expect({ coordinate, outcomes: [...new Set(played.map((c) => c.deniedAt === -1))].sort() }).toEqual({
        coordinate,
        outcomes: [false, true],
      });
    }
    expect(unplayed).toEqual([]);
  });

  it('leaves no application policy of the notes example unplayed', () => {
    expect(matrices.get('the notes example')!.unplayed).toEqual([]);
  });
});

/** The servers, and whether each serves subscriptions (Apollo's startStandaloneServer has no WebSocket). */
const servers: ReadonlyArray<[string, (application: Application, policies: Policies) => Promise<Server>, boolean]> = [
  ["gatehouse's server", (a, policies) => startHttpServer({ app: { ...schemaOptions(a), policies } as never }), true],
  ['an Apollo Server with gatehouseForApollo', (a, policies) => startApolloHarness({ ...schemaOptions(a), policies } as never), false],
];
/** What createGatehouse takes of an application. */
function schemaOptions({ typeDefs, resolvers, loaders, migrations }: Application): Record<string, unknown> {
  return { typeDefs, resolvers, ...(loaders ? { loaders } : {}), ...(migrations ? { migrations } : {}) };
}
type Server = Pick<HttpHarness, 'app' | 'gql' | 'close' | 'url'>;

describe.each(
  // An application without policies of its own (the notes example today) starts no server.
  applications
    .filter(([name]) => matrices.get(name)!.cases.length > 0)
    .flatMap(([name, application]) => servers.map(([where, start, webSocket]) => [name, where, application, start, webSocket] as const)),
)('the auth map agrees with the server on policies (%s, %s)', (name, _where, application, start, webSocket) => {
  const { schema, callers, verdicts, consulted, names, policies, cases } = matrices.get(name)!;
  const played = webSocket ? cases : cases.filter((c) => c.path[0]!.type !== schema.getSubscriptionType());
  let server: Server;
  const headers: Record<string, Record<string, string>> = { anonymous: {} };

  beforeAll(async () => {
    server = await start(application, policies);
    const origin = { actorId: null, address: 'policy matrix', source: 'request' } as const;
    for (const role of callers.slice(1)) {
      const email = `${role.toLowerCase()}@policies.test`;
      await createUser(server.app, { email, password: 'policy password', role }, origin);
      const login = await server.gql('mutation ($e: String!) { login(email: $e, password: "policy password") { accessToken } }', {
        variables: { e: email },
      });
      headers[role] = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
    }
    await application.seed(server, headers);
  });
  afterAll(() => server?.close());

  it.each<PolicyCase>(played)(
    '$coordinate as $caller with $shown',
    async ({ caller, path, verdicts: given, shownOnPath, deniedAt, deniedBy }) => {
      for (const name of names) verdicts[name] = given[name] === true;
      consulted.clear();
      const ranBefore = application.ran.length;
      const query = operationFor(schema, path);
      if (path[0]!.type === schema.getSubscriptionType()) {
        // Over WebSocket, the credential in connection_init: one receipt when allowed, else the
        // subscription's error with the field's path and code.
        const socket = openSocket(server.url, headers[caller]);
        try {
          const { received } = socket.subscribe(query);
          await eventually(() => received.completed, 'the subscription ends');
          const field = path[0]!.field.name;
          const denial = { path: [field], code: caller === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN' };
          expect({
            query,
            events: received.events,
            errors: (received.errors ?? []).map((e) => ({ path: (e as { path?: unknown }).path, code: e.extensions?.code })),
          }).toEqual(
            deniedAt === -1
              ? { query, events: [{ data: { [field]: { __typename: getNamedType(path[0]!.field.type).name } } }], errors: [] }
              : { query, events: [], errors: [denial] },
          );
        } finally {
          await socket.dispose();
        }
        return;
      }
      const response = await server.gql(query, { headers: headers[caller] ?? {} });
      expect(response.status).toBe(200);
      const authErrors = (response.body.errors ?? [])
        .filter((e: WireError) => e.extensions?.['code'] === 'UNAUTHENTICATED' || e.extensions?.['code'] === 'FORBIDDEN')
        .map((e: WireError) => ({ path: (e.path ?? []).filter((p) => typeof p === 'string'), code: e.extensions?.['code'] }));
      const fields = path.map((step) => step.field.name);
      const expected =
        deniedAt === -1 ? [] : [{ path: fields.slice(0, deniedAt + 1), code: caller === 'anonymous' ? 'UNAUTHENTICATED' : 'FORBIDDEN' }];
      expect({ query, authErrors }).toEqual({ query, authErrors: expected });
      // Only policies the map shows on this path are asked (report-only ones included).
      expect([...consulted].filter((name) => !shownOnPath.includes(name))).toEqual([]);
      // Allowed: the field was resolved on a real object (an empty list would check nothing).
      if (deniedAt === -1) {
        const parent = valueAt(response.body.data, fields.slice(0, -1));
        expect({ query, resolved: parent !== null && typeof parent === 'object' && fields.at(-1)! in parent }).toEqual({
          query,
          resolved: true,
        });
      }
      if (path[0]!.type === schema.getMutationType()) {
        // The mutation gate: a mutation refused by its own policies, or by any rule below it, has no
        // data and ran nothing. A policy below it is decided on the object the mutation returned.
        const refused = deniedAt === 0 || deniedBy === 'rules';
        if (refused) expect(response.body.data ?? null).toBeNull();
        expect(application.ran.length - ranBefore).toBe(refused ? 0 : 1);
      }
    },
  );
});
