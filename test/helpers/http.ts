import { randomBytes } from 'node:crypto';
import type { GraphQLSchema } from 'graphql';
import { type App, type AppOptions, createApp } from '../../src/app';
import { declaredRoles } from '../../src/enforcement/declared-roles';
import { parseConfig } from '../../src/config';
import { createHttpServer, type HttpServer } from '../../src/http/server';
import { type ApplicationMigrations, migrateApplication, migrateToLatest, openStore, type Store } from '../../src/store/database';
import { buildSchema } from '../../src/graphql/schema';
import type { Policies } from '../../src/enforcement/policies';
import * as notes from '../../examples/notes';

/** One error of a GraphQL response body, as it arrives over the wire. */
export interface WireError {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** A GraphQL response body as JSON; `data` absent when the request was refused as a whole. */
export interface WireBody {
  readonly data?: Record<string, any> | null;
  readonly errors?: readonly WireError[];
  readonly [key: string]: unknown;
}

export interface GqlResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body (`{}` when the body was not JSON). */
  readonly body: WireBody;
  /** The raw body text, for "never contains …" checks. */
  readonly text: string;
}

export interface GqlOptions {
  readonly variables?: Record<string, unknown>;
  readonly headers?: Record<string, string>;
  readonly operationName?: string;
}

export interface HttpHarness {
  /** Base URL, e.g. `http://127.0.0.1:43123` (no trailing slash). */
  readonly url: string;
  readonly app: App;
  readonly store: Store;
  readonly server: HttpServer;
  /** The enforced schema the server serves. */
  readonly schema: GraphQLSchema;
  /** POSTs a GraphQL operation as JSON to `/graphql`. */
  gql(query: string, options?: GqlOptions): Promise<GqlResponse>;
  /** Closes the HTTP server and the store. Safe to call twice. */
  close(): Promise<void>;
}

export interface HttpHarnessOptions {
  /** Environment overrides, as in `.env.example` (e.g. `LOGIN_FAILURES_PER_ACCOUNT`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Replaces the app's clock. */
  readonly now?: () => Date;
  /** The application schema served beside the accounts; default: the notes example, as `npm start` serves it. */
  readonly app?: { typeDefs?: string; resolvers?: object; migrations?: ApplicationMigrations; policies?: Policies };
  /** More options for createApp (external-token logging and key-fetch timing). */
  readonly appOptions?: Omit<AppOptions, 'now'>;
}

/** A random 64-character secret with plenty of distinct characters. */
export function randomSecret(): string {
  return randomBytes(48).toString('base64url');
}

/** Reads a fetch response into status, headers, parsed JSON body and raw text. */
export async function readResponse(response: Response): Promise<GqlResponse> {
  const text = await response.text();
  let body: WireBody = {};
  try {
    body = JSON.parse(text) as WireBody;
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, body, text };
}

/**
 * A real gatehouse HTTP server listening on 127.0.0.1 and a random port, over a fresh migrated
 * in-memory SQLite database (unless `env.DATABASE_URL` says otherwise).
 */
export async function startHttpServer(options: HttpHarnessOptions = {}): Promise<HttpHarness> {
  const config = parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: 'file::memory:',
    JWT_SECRET: randomSecret(),
    PASSWORD_HASH_COST: '10',
    SIGNUPS_PER_ADDRESS: '100000',
    HOST: '127.0.0.1',
    PORT: '0',
    ...options.env,
  });
  const store = openStore(config.database, { credentialCacheSize: config.credentialCacheSize });
  let app: App;
  let server: HttpServer;
  let schema: GraphQLSchema;
  try {
    await migrateToLatest(store);
    // The notes example's table is always there: tests of gatehouse's own behaviour use notes as
    // ordinary application fields, beside fields of their own (`app`).
    await migrateApplication(store, options.app?.migrations ?? notes.migrations);
    schema = buildSchema((options.app ?? notes) as never, { strict: config.authStrict, policyTimeoutMs: config.policyTimeoutMs });
    app = createApp(config, store, { roles: declaredRoles(schema), ...options.appOptions, ...(options.now ? { now: options.now } : {}) });
    await app.accessTokens.ready();
    server = await createHttpServer(app, { schema });
  } catch (error) {
    await store.close();
    throw error;
  }
  let url: string;
  try {
    url = (await server.listen()).replace(/\/$/, '');
  } catch (error) {
    await server.close();
    throw error;
  }
  if (!url.startsWith('http://127.0.0.1:')) {
    await server.close();
    throw new Error(`test server must listen on loopback, got ${url}`);
  }

  return {
    url,
    app,
    store,
    server,
    schema,
    async gql(query, { variables, headers = {}, operationName } = {}) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, ...(variables ? { variables } : {}), ...(operationName ? { operationName } : {}) }),
      });
      return readResponse(response);
    },
    close: () => server.close(),
  };
}

/** Stack frames, HTML pages, file paths and source locations: never in an answer. */
export const NO_STACK_OR_HTML = /<html|<!doctype|\n\s+at |\bat [\w.<>]+ \(|node_modules|\/work\/|\.(ts|js):\d+/i;

/** POSTs a raw body (not necessarily JSON, not necessarily GraphQL) to `path` on the harness. */
export async function post(
  h: Pick<HttpHarness, 'url'>,
  body: string | Uint8Array,
  headers: Record<string, string>,
  path = '/graphql',
): Promise<GqlResponse> {
  return readResponse(await fetch(`${h.url}${path}`, { method: 'POST', headers, body }));
}

export async function get(h: Pick<HttpHarness, 'url'>, path: string, headers: Record<string, string> = {}): Promise<GqlResponse> {
  return readResponse(await fetch(`${h.url}${path}`, { headers }));
}

/** `"requestId": "<uuid>"` in JSON text, spaced or not: the one part of an answer that names its request. */
const REQUEST_ID_IN_JSON = /("requestId":\s*)"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"/g;

/** `text` with every request id (a UUID in `"requestId"`) replaced by one placeholder, for "the same answer but for the request" checks. */
export function withoutRequestIds(text: string): string {
  return text.replace(REQUEST_ID_IN_JSON, '$1"<request id>"');
}

/** `extensions.requestId` of each error of `response`, in order (undefined where one has none). */
export function errorRequestIds(response: Pick<GqlResponse, 'body'>): unknown[] {
  return (response.body.errors ?? []).map((error) => error.extensions?.['requestId']);
}

/**
 * Asserts that every error of each response names that response's own request (its x-request-id,
 * a UUID), and that no two responses share an id: the id tells nothing about the account or the
 * caller, so answers alike but for it reveal nothing.
 */
export function expectOwnRequestIds(...responses: readonly GqlResponse[]): void {
  const ids = responses.map((response) => response.headers.get('x-request-id'));
  for (const [i, response] of responses.entries()) {
    expect(ids[i]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(response.body.errors?.length).toBeGreaterThan(0);
    expect(errorRequestIds(response)).toEqual((response.body.errors ?? []).map(() => ids[i]));
  }
  expect(new Set(ids).size).toBe(ids.length);
}
