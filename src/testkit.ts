// The test kit with gatehouse's internals exposed (app, store), for gatehouse's own tests. Users get
// `gatehouse/testing` (src/testing.ts), the same kit behind types that reach nothing internal.
import { randomUUID } from 'node:crypto';
import assert from 'node:assert';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import pino from 'pino';
import { type App, createApp } from './app';
import { mostSeniorRole, SIGN_UP_ROLE } from './auth/roles';
import type { Viewer } from './auth/viewer';
import { parseConfig } from './config';
import { createApolloServer, createContext } from './graphql/apollo';
import type { GraphQLContext } from './graphql/context';
import { appSchemaOf } from './gatehouse';
import { buildSchema } from './graphql/schema';
import { declaredRoles } from './enforcement/declared-roles';
import { createApiKey } from './services/api-keys';
import { MEMBER, OWNER } from './auth/organization-roles';
import { insertOrganization, membershipsOf, putMembership } from './store/organizations';
import { knownScopes } from './enforcement/scopes';
import { migrateApplication, migrateToLatest, openStore, type Store } from './store/database';
import { newId } from './store/ids';
import { insertUser, type UserRecord } from './store/users';
import type { ExecuteResult, Kit, KitApiKey, KitUser, TestKitOptions } from './testkit-shapes';

export { type ManualClock, manualClock } from './manual-clock';

/** A kit user always has the email it was made with; `role` is its most senior granted role. */
export type TestUser = KitUser<GraphQLContext, UserRecord & { readonly email: string; readonly role: string }>;
export type TestApiKey = KitApiKey<GraphQLContext>;
export type { ExecuteResult, TestKitOptions };

export interface TestKit extends Kit<GraphQLContext, TestUser, TestApiKey, string> {
  /** gatehouse's internals, for gatehouse's own tests; not part of the public API. @internal */
  readonly app: App;
  /** @internal */
  readonly store: Store;
}

/** A secret for tests only; never used outside a kit. */
const TEST_JWT_SECRET = randomUUID() + randomUUID();

/**
 * gatehouse with your schema over a fresh, migrated database (SQLite in memory unless
 * `env.DATABASE_URL` says otherwise), for resolver tests through the real directives, limits and
 * error masking:
 *
 *     const kit = await createTestKit({ typeDefs, resolvers });
 *     const alice = await kit.createUser();
 *     const { data } = await kit.execute('{ me { id } }', { as: alice });
 *
 * Passwords are hashed with a low scrypt cost (PASSWORD_HASH_COST=10) so suites stay fast, and the
 * per-address sign-up limit is lifted (SIGNUPS_PER_ADDRESS); `env` overrides both.
 */
export async function createTestKit(options: TestKitOptions = {}): Promise<TestKit> {
  const config = parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'file::memory:',
    JWT_SECRET: TEST_JWT_SECRET,
    PASSWORD_HASH_COST: '10',
    // Tests sign many accounts up from one address; the limit itself has its own tests.
    SIGNUPS_PER_ADDRESS: '100000',
    ...options.env,
  });
  const store = openStore(config.database, { credentialCacheSize: config.credentialCacheSize });
  let app: App;
  let server: ApolloServer<GraphQLContext>;
  let schema: GraphQLSchema;
  try {
    await migrateToLatest(store);
    if (options.migrations !== undefined) await migrateApplication(store, options.migrations);
    schema = buildSchema(appSchemaOf(options), { strict: config.authStrict, policyTimeoutMs: config.policyTimeoutMs });
    app = createApp(config, store, { roles: declaredRoles(schema), ...(options.now ? { now: options.now } : {}) });
    await app.accessTokens.ready();
    server = createApolloServer(app, { log: pino({ level: config.logLevel }), schema });
  } catch (error) {
    await store.close();
    throw error;
  }
  await server.start();

  const contextFor = (viewer: Viewer | null, user: UserRecord | null = null): GraphQLContext =>
    createContext(app, { viewer, user, clientAddress: '127.0.0.1', requestId: randomUUID() });

  /**
   * A kit user's or key's context for one execution, as a request's: a request id of its own (the
   * one its errors carry, as over HTTP) and the viewer's memberships read now, as authentication
   * reads them per request.
   */
  const forOneRequest = async (context: GraphQLContext): Promise<GraphQLContext> => {
    const { viewer } = context;
    const requestId = randomUUID();
    if (viewer === null) return { ...context, requestId };
    return { ...context, requestId, viewer: { ...viewer, organizations: await membershipsOf(store.db, viewer.id) } };
  };

  const kit: TestKit = {
    db: store.db,
    app,
    store,
    server,
    anonymous: () => contextFor(null),
    contextFor: (viewer) => contextFor(viewer),
    async createUser({ role, roles, email = `user-${randomUUID()}@example.test`, password = 'correct horse battery staple', name } = {}) {
      const user = await insertUser(store.db, {
        id: newId(),
        email,
        name: name ?? null,
        passwordHash: await app.passwords.hash(password),
        roles: grantedRoles(app, role, roles),
        now: app.now(),
      });
      return {
        user: { ...user, email, role: mostSeniorRole(app.roles, user.roles) ?? SIGN_UP_ROLE },
        password,
        accessToken: app.accessTokens.issue(user.id, app.now()).token,
        context: contextFor({ id: user.id, roles: app.roles.expandAll(user.roles), via: 'jwt', email }, user),
      };
    },
    async createApiKey(owner, { name = 'test key', expiresInDays, scopes } = {}) {
      const maker: Viewer = { id: owner.user.id, roles: app.roles.expandAll(owner.user.roles), via: 'jwt', email: owner.user.email };
      const created = await createApiKey(
        app,
        maker,
        { name, expiresInDays: expiresInDays ?? null, scopes: scopes ?? null },
        { actorId: maker.id, address: '127.0.0.1', source: 'request' },
        knownScopes(schema),
      );
      const held = created.apiKey.scopes;
      const viewer: Viewer = { ...maker, via: 'api-key', ...(held === null ? {} : { scopes: held }) };
      return { id: created.apiKey.id, secret: created.secret, context: contextFor(viewer, owner.user) };
    },
    async createOrganization(owner, { name = 'Test organization', members = [] } = {}) {
      const organization = await insertOrganization(store.db, {
        id: newId(),
        name,
        ownerId: owner.user.id,
        ownerRole: OWNER,
        now: app.now(),
      });
      for (const { user, role } of members) await kit.setMembership(organization, user, role);
      return { id: organization.id, name: organization.name };
    },
    async setMembership(organization, user, role = MEMBER) {
      await putMembership(store.db, { organizationId: organization.id, userId: user.user.id, role, now: app.now() });
    },
    async removeMembership(organization, user) {
      await store.db.deleteFrom('memberships').where('organization_id', '=', organization.id).where('user_id', '=', user.user.id).execute();
    },
    async execute(query, { variables, as = null } = {}) {
      const contextValue = as === null ? contextFor(null) : 'context' in as ? await forOneRequest(as.context) : as;
      const response = await server.executeOperation({ query, ...(variables ? { variables } : {}) }, { contextValue });
      assert(response.body.kind === 'single', 'gatehouse does not stream responses');
      const { data, errors } = response.body.singleResult;
      return {
        data: data as never,
        errors,
        codes: (errors ?? []).map((error) => String(error.extensions?.['code'])),
        requestId: contextValue.requestId,
      };
    },
    async close() {
      await server.stop();
      await store.close();
    },
  };
  return kit;
}

/** `createUser`'s roles: `role` or `roles` (not both), each declared by the schema's `enum Role`; USER when neither is given. */
function grantedRoles(app: App, role: string | undefined, roles: readonly string[] | undefined): readonly string[] {
  if (role !== undefined && roles !== undefined) throw new TypeError('createUser: give role or roles, not both');
  const granted = roles ?? [role ?? SIGN_UP_ROLE];
  if (granted.length === 0) throw new TypeError('createUser: roles must name at least one role');
  for (const name of granted) {
    if (!app.roles.roles.includes(name))
      throw new TypeError(`createUser: ${name} is not a role of the schema's enum Role (${app.roles.roles.join(', ')})`);
  }
  return granted;
}
