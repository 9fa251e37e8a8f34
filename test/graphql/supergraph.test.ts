/*
 * A real supergraph (issue 27, "Done when"): a gatehouse subgraph (createGatehouse({ subgraph: … })
 * on SQLite) and a second small subgraph (`reviews`, plain buildSubgraphSchema over node:http,
 * extending User), composed by @apollo/gateway 2.14.4 with IntrospectAndCompose on loopback (no
 * network), behind Apollo Server. The gateway forwards Authorization and X-API-Key through
 * RemoteGraphQLDataSource.willSendRequest, as docs/federation.md shows. The query planner fetches
 * gatehouse's User fields through `_entities`, so each case below is an entity resolution.
 * @apollo/gateway refuses a supergraph that uses federation's @authenticated / @requiresScopes /
 * @policy (it cannot enforce them), so the gateway's subgraph uses gatehouse's own names
 * (`authDirectives: 'gatehouse'`); the last cases compose the federation-named subgraph by Apollo
 * Router's rules, which carry those directives into the supergraph.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway, type GraphQLDataSourceProcessOptions, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { composeServices } from '@apollo/composition';
import { ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { graphql, parse } from 'graphql';
import { createGatehouse, type Gatehouse } from '../../src/gatehouse';
import { type GqlResponse, randomSecret, readResponse } from '../helpers/http';
import { PASSWORD, uniqueEmail } from '../helpers/accounts';
import { sqliteFile, type ThrowawayDatabase, databaseUrlOf, inProcessEnv } from '../helpers/databases';
import { documents, documentTypeDefs, policies, resolvers } from '../helpers/subgraph-app';

/** The second subgraph: reviews written by users, and each user's reviews. */
const REVIEWS_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
  type User @key(fields: "id") {
    id: ID!
    reviews: [Review!]!
  }
  type Review {
    id: ID!
    body: String!
    author: User!
    document: Document
  }
  type Document @key(fields: "id", resolvable: false) {
    id: ID!
  }
  type Query {
    latestReviews: [Review!]!
  }
`;

interface ReviewRow {
  readonly id: string;
  readonly body: string;
  readonly authorId: string;
  readonly documentId: string;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The reviews subgraph on an ephemeral port: GraphQL over POST, nothing else. */
async function startReviews(reviews: ReviewRow[]): Promise<{ url: string; server: Server }> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(REVIEWS_SDL),
    resolvers: {
      Query: { latestReviews: () => reviews },
      Review: {
        author: (row: ReviewRow) => ({ __typename: 'User', id: row.authorId }),
        document: (row: ReviewRow) => ({ __typename: 'Document', id: row.documentId }),
      },
      User: {
        __resolveReference: (reference: { id: string }) => reference,
        reviews: (user: { id: string }) => reviews.filter((review) => review.authorId === user.id),
      },
    } as never,
  });
  const server = createServer((request, response) => {
    void readBody(request).then(async (text) => {
      const { query, variables, operationName } = JSON.parse(text) as {
        query: string;
        variables?: Record<string, unknown>;
        operationName?: string;
      };
      const result = await graphql({ schema, source: query, variableValues: variables ?? null, operationName: operationName ?? null });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(result));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, server };
}

/** What a gateway passes on: the caller's credential headers, as docs/federation.md shows. */
interface GatewayContext {
  readonly authorization?: string;
  readonly apiKey?: string;
}

class ForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext & Record<string, unknown>> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext & Record<string, unknown>>) {
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
    if (context.apiKey) request.http?.headers.set('x-api-key', context.apiKey);
  }
}

const codesOf = (response: GqlResponse) => (response.body.errors ?? []).map((e) => e.extensions?.['code']);

describe('an @apollo/gateway supergraph of a gatehouse subgraph and a reviews subgraph', () => {
  let database: ThrowawayDatabase;
  let gatehouse: Gatehouse;
  let gatehouseUrl: string;
  let reviews: { url: string; server: Server };
  let gateway: ApolloServer<GatewayContext>;
  let gatewayUrl: string;
  const alice = { id: '', token: '' };
  const bob = { id: '', token: '' };

  async function post(target: string, query: string, headers: Record<string, string> = {}, variables?: Record<string, unknown>) {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
    });
    return readResponse(response);
  }
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  async function signUp(into: { id: string; token: string }) {
    const response = await post(
      `${gatehouseUrl}/graphql`,
      'mutation ($e: String!, $p: String!) { signUp(email: $e, password: $p) { accessToken user { id } } }',
      {},
      { e: uniqueEmail('fed'), p: PASSWORD },
    );
    expect(response.body.errors).toBeUndefined();
    into.id = response.body.data?.['signUp'].user.id;
    into.token = response.body.data?.['signUp'].accessToken;
  }

  beforeAll(async () => {
    database = sqliteFile();
    gatehouse = await createGatehouse({
      typeDefs: documentTypeDefs('gatehouse'),
      resolvers,
      policies,
      subgraph: { authDirectives: 'gatehouse' },
      env: inProcessEnv(database),
    });
    gatehouseUrl = (await gatehouse.listen()).replace(/\/$/, '');
    await signUp(alice);
    await signUp(bob);
    documents.set('fed-d1', { id: 'fed-d1', title: 'plan', body: 'the plan', ownerId: alice.id, reviewerId: bob.id });
    reviews = await startReviews([{ id: 'r1', body: 'five stars', authorId: alice.id, documentId: 'fed-d1' }]);
    const gatewayImpl = new ApolloGateway({
      supergraphSdl: new IntrospectAndCompose({
        subgraphs: [
          { name: 'accounts', url: `${gatehouseUrl}/graphql` },
          { name: 'reviews', url: reviews.url },
        ],
      }),
      buildService: ({ url }) => new ForwardingDataSource({ url }),
    });
    gateway = new ApolloServer<GatewayContext>({ gateway: gatewayImpl });
    const started = await startStandaloneServer(gateway, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }) => ({
        ...(typeof req.headers.authorization === 'string' ? { authorization: req.headers.authorization } : {}),
        ...(typeof req.headers['x-api-key'] === 'string' ? { apiKey: req.headers['x-api-key'] } : {}),
      }),
    });
    gatewayUrl = started.url;
  }, 60_000);
  afterAll(async () => {
    await gateway?.stop();
    await new Promise((resolve) => reviews?.server.close(resolve));
    await gatehouse?.close();
    await database?.drop();
  });

  it('answers `me` with a token through the gateway, joined with the reviews subgraph', async () => {
    const response = await post(gatewayUrl, '{ me { id email reviews { body } } }', as(alice.token));
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.['me']).toEqual({ id: alice.id, email: expect.stringContaining('@'), reviews: [{ body: 'five stars' }] });
  });

  it('answers an anonymous caller reading a protected User field through an entity with UNAUTHENTICATED', async () => {
    const response = await post(gatewayUrl, '{ latestReviews { body author { id email } } }');
    expect(response.body.data?.['latestReviews']).toEqual([{ body: 'five stars', author: { id: alice.id, email: null } }]);
    expect(codesOf(response)).toEqual(['UNAUTHENTICATED']);
  });

  it("answers a USER reading another user's email through an entity with FORBIDDEN, and the author with it", async () => {
    const other = await post(gatewayUrl, '{ latestReviews { author { email } } }', as(bob.token));
    expect(other.body.data?.['latestReviews']).toEqual([{ author: { email: null } }]);
    expect(codesOf(other)).toEqual(['FORBIDDEN']);
    const own = await post(gatewayUrl, '{ latestReviews { author { email } } }', as(alice.token));
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data?.['latestReviews'][0].author.email).toContain('@');
  });

  it('enforces @auth, @requiresScopes and @owner on an application entity behind the gateway', async () => {
    const query = '{ latestReviews { document { body summary stats } } }';
    const anonymous = await post(gatewayUrl, query);
    expect(anonymous.body.data?.['latestReviews']).toEqual([{ document: { body: null, summary: null, stats: null } }]);
    expect(codesOf(anonymous).sort()).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
    const owner = await post(gatewayUrl, query, as(alice.token));
    expect(owner.body.errors).toBeUndefined();
    expect(owner.body.data?.['latestReviews']).toEqual([{ document: { body: 'the plan', summary: 'about plan', stats: '3 reads' } }]);
    const other = await post(gatewayUrl, query, as(bob.token));
    expect(other.body.data?.['latestReviews']).toEqual([{ document: { body: null, summary: 'about plan', stats: '3 reads' } }]);
    expect(codesOf(other)).toEqual(['FORBIDDEN']);
  });

  it('fills a @fromViewer argument from the forwarded credential; the supergraph offers no such argument', async () => {
    const response = await post(gatewayUrl, '{ myDocuments { id } }', as(alice.token));
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.['myDocuments']).toEqual([{ id: 'fed-d1' }]);
    const supplied = await post(gatewayUrl, '{ myDocuments(ownerId: "someone") { id } }', as(alice.token));
    expect(codesOf(supplied)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('forwards X-API-Key too: a key without the scopes is refused the @requiresScopes field', async () => {
    const made = await post(
      `${gatehouseUrl}/graphql`,
      'mutation { createApiKey(name: "k", scopes: ["docs:stats"]) { secret } }',
      as(alice.token),
    );
    const secret = String(made.body.data?.['createApiKey']?.secret);
    const response = await post(gatewayUrl, '{ latestReviews { document { summary stats } } }', { 'x-api-key': secret });
    expect(response.body.data?.['latestReviews']).toEqual([{ document: { summary: 'about plan', stats: null } }]);
    expect(codesOf(response)).toEqual(['FORBIDDEN']);
  });

  it('answers an anonymous _entities sent to the subgraph directly with UNAUTHENTICATED, as the gateway does', async () => {
    const response = await post(
      `${gatehouseUrl}/graphql`,
      'query ($r: [_Any!]!) { _entities(representations: $r) { ... on User { email } } }',
      {},
      { r: [{ __typename: 'User', id: alice.id }] },
    );
    expect(response.body.data?.['_entities']).toEqual([{ email: null }]);
    expect(codesOf(response)).toEqual(['UNAUTHENTICATED']);
  });
});

describe("a subgraph with federation's directive names, composed by Apollo Router's rules", () => {
  /** The subgraph's `_service { sdl }`, read from the schema gatehouse serves. */
  async function serviceSdl(options: Parameters<typeof createGatehouse>[0]): Promise<string> {
    const database = sqliteFile();
    const gatehouse = await createGatehouse({
      ...options,
      env: { NODE_ENV: 'test', DATABASE_URL: databaseUrlOf(database.config), JWT_SECRET: randomSecret() },
    });
    try {
      const result = await graphql({ schema: gatehouse.schema, source: '{ _service { sdl } }', contextValue: { viewer: null } });
      return String((result.data?.['_service'] as { sdl: string } | undefined)?.sdl);
    } finally {
      await gatehouse.close();
      await database.drop();
    }
  }

  it('carries @authenticated, @requiresScopes and @policy into the supergraph, which Apollo Router accepts and @apollo/gateway refuses', async () => {
    const sdl = await serviceSdl({ typeDefs: documentTypeDefs('federation'), resolvers, policies, subgraph: true });
    const composed = composeServices([
      { name: 'accounts', url: 'http://127.0.0.1:1/graphql', typeDefs: parse(sdl) },
      { name: 'reviews', url: 'http://127.0.0.1:2/graphql', typeDefs: parse(REVIEWS_SDL) },
    ]);
    expect(composed.errors).toBeUndefined();
    const supergraph = String(composed.supergraphSdl);
    expect(supergraph).toMatch(/summary: String @join__field\(graph: ACCOUNTS\) @authenticated|summary: String @authenticated/);
    expect(supergraph).toContain('@requiresScopes(scopes: [["docs:stats", "docs:read"], ["docs:admin"]])');
    expect(supergraph).toContain('@policy(policies: [["document.reviewer"]])');
    expect(() => Supergraph.build(supergraph, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES })).not.toThrow();
    expect(() => Supergraph.build(supergraph)).toThrow(/authenticated\/v0\.1 is for: SECURITY but is unsupported/);
  });

  it("keeps gatehouse's own names out of the supergraph with authDirectives: 'gatehouse' (what @apollo/gateway composes)", async () => {
    const sdl = await serviceSdl({
      typeDefs: documentTypeDefs('gatehouse'),
      resolvers,
      policies,
      subgraph: { authDirectives: 'gatehouse' },
    });
    const composed = composeServices([{ name: 'accounts', url: 'http://127.0.0.1:1/graphql', typeDefs: parse(sdl) }]);
    expect(composed.errors).toBeUndefined();
    const supergraph = String(composed.supergraphSdl);
    expect(supergraph).not.toMatch(/specs\.apollo\.dev\/(authenticated|requiresScopes|policy)/);
    expect(supergraph).not.toMatch(/stats: String[^\n]*@requiresScopes/);
    expect(() => Supergraph.build(String(composed.supergraphSdl))).not.toThrow();
  });
});
