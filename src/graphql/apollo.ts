import { ApolloServer, type ApolloServerOptionsWithSchema, type ApolloServerPlugin, type GraphQLRequestListener } from '@apollo/server';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import DataLoader from 'dataloader';
import { landingPagePlugin } from './plugins/landing-page';
import {
  type DocumentNode,
  type GraphQLFormattedError,
  GraphQLError,
  type GraphQLSchema,
  parse,
  SingleFieldSubscriptionsRule,
  validate,
  type ValidationRule,
} from 'graphql';
import type { Logger } from 'pino';
import type { App } from '../app';
import { operationGatePlugin } from './plugins/operation-gate';
import { observeErrors, observeOperation, observeResponse } from './request-telemetry';
import { visibleIntrospectionPlugin } from './plugins/visible-introspection';
import { introspectionOffRule } from './introspection-off';
import type { Viewer } from '../auth/viewer';
import { DATABASE_RETRY_AFTER_SECONDS } from '../errors';
import { ErrorCode } from './errors';
import { explained, isClientRefusal, logUnexpected, type Masking, maskedError, unexpectedCause } from './error-masking';
import { findUsersByIds, type UserRecord } from '../store/users';
import type { GraphQLContext } from './context';
import { limitRules } from './limits';
import { namingRequest } from './request-ids';
import { buildSchema } from './schema';
import { publishOnlyEvents } from '../events/context-events';

/** How one unexpected error is answered, decided where it is logged and applied in formatError. */
export type MaskedAs = { readonly as: Masking; readonly requestId: string | undefined };

/**
 * Logs unexpected errors with their detail and the request id; the client gets only
 * INTERNAL_SERVER_ERROR, or SERVICE_UNAVAILABLE with HTTP 503 and Retry-After when the database
 * could not be reached, and that id (see formatError below). Every other error of the answer gets
 * the request id too (src/graphql/request-ids.ts), here rather than in formatError, which Apollo
 * calls without the request: willSendResponse sees the errors as formatted (by Apollo's
 * formatError, or by the embedded server's plugin, which goes first). Also tells the request's
 * telemetry its errors and its answer (src/graphql/request-telemetry.ts), from these same hooks.
 */
function errorLoggingPlugin(log: Logger, masked: WeakMap<object, MaskedAs>): ApolloServerPlugin<GraphQLContext> {
  const unavailable = new WeakSet<object>();
  // One listener object for every request: it keeps no per-request state.
  const listeners: GraphQLRequestListener<GraphQLContext> = {
    async didEncounterErrors({ errors, contextValue }) {
      observeErrors(contextValue, errors);
      for (const error of errors) {
        const original = unexpectedCause(error);
        if (original === null) continue;
        const details = { path: error.path, requestId: contextValue.requestId, viewerId: contextValue.viewer?.id ?? null };
        const as = logUnexpected(contextValue.log ?? log, original, details, 'GraphQL request');
        masked.set(error, { as, requestId: contextValue.requestId });
        if (as === 'unavailable') unavailable.add(contextValue);
      }
    },
    async willSendResponse({ contextValue, response, operation }) {
      if (unavailable.has(contextValue)) {
        response.http.status = 503;
        response.http.headers.set('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
      }
      observeResponse(contextValue, operation?.operation ?? 'none', response.http.status ?? 200);
      const { body } = response;
      if (body.kind === 'single' && body.singleResult.errors !== undefined)
        body.singleResult.errors = namingRequest(body.singleResult.errors, contextValue.requestId);
    },
  };
  return {
    requestDidStart: async () => listeners,
    // A hook threw outside execution (an application's plugin, say): Apollo answers a bare 500
    // whose error (APOLLO_REPLACEMENT) has neither the request nor the detail. The request is known
    // here: the detail is logged under its id, which the HTTP layer puts in the answer.
    async unexpectedErrorProcessingRequest({ requestContext: { contextValue }, error }) {
      const details = { requestId: contextValue.requestId, viewerId: contextValue.viewer?.id ?? null };
      logUnexpected(contextValue.log ?? log, error, details, 'GraphQL request, outside execution');
    },
  };
}

/**
 * Apollo's own words for an error it reported to `unexpectedErrorProcessingRequest` (which logs
 * it, with the request id) before answering 500 with this in its place.
 */
const APOLLO_REPLACEMENT = 'Internal server error';

type ApolloLogger = NonNullable<ApolloServerOptionsWithSchema<GraphQLContext>['logger']>;

/** Apollo's own log lines, as JSON through gatehouse's logger rather than plain text on the console. */
function apolloLogger(log: Logger): ApolloLogger {
  return {
    debug: (message) => log.debug(String(message)),
    info: (message) => log.info(String(message)),
    warn: (message) => log.warn(String(message)),
    // Apollo's "Unexpected error processing request: <the error's text>" names no request;
    // errorLoggingPlugin logs that error under its request id instead.
    error: (message) => {
      if (!String(message).startsWith('Unexpected error processing request: ')) log.error(String(message));
    },
  };
}

/**
 * graphql 16's SingleFieldSubscriptionsRule evaluates a subscription's root `@skip`/`@include`
 * without the variables and throws (rather than reports) when one uses a variable; Apollo answers a
 * throw in validation as a 500, whichever operation the document selects. The GraphQL route asks
 * this first and answers the error as the validation failure it is. Documents that do not parse,
 * or never say "subscription", are left to Apollo.
 */
export function subscriptionRuleThrows(schema: GraphQLSchema, query: unknown, maxTokens: number): GraphQLError | undefined {
  if (typeof query !== 'string' || !query.includes('subscription')) return undefined;
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens });
  } catch {
    return undefined;
  }
  try {
    validate(schema, document, [SingleFieldSubscriptionsRule]);
    return undefined;
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
}

/**
 * Refuses a subscription operation sent over HTTP with 400 and a request id. Without this, graphql-js
 * validates `subscription { … }` (no rule needs a Subscription type) and then fails in execution
 * with "Schema is not configured to execute subscription operation."; Apollo files that as an
 * execution error without a code, so it left as INTERNAL_SERVER_ERROR, masked and without the
 * request id, though the client asked for something HTTP does not serve. (Apollo's own check refuses
 * only subscriptions sent with GET.) Were a Subscription type added, execution over HTTP would run
 * its fields once like a query, which is no subscription either: they belong on a WebSocket.
 */
function subscriptionsOverHttpPlugin(): ApolloServerPlugin<GraphQLContext> {
  const listeners: GraphQLRequestListener<GraphQLContext> = {
    async didResolveOperation({ operation, contextValue }) {
      observeOperation(contextValue);
      if (operation?.operation !== 'subscription') return;
      throw new GraphQLError('Subscription operations are not served over HTTP; send queries and mutations here.', {
        extensions: { code: 'BAD_REQUEST', requestId: contextValue.requestId, http: { status: 400 } },
      });
    },
  };
  return { requestDidStart: async () => listeners };
}

export interface GatehouseApolloOptions {
  readonly log: Logger;
  /** Extra plugins (the HTTP server adds its drain plugin). */
  readonly plugins?: readonly ApolloServerPlugin<GraphQLContext>[];
  /** The enforced schema (buildSchema); default: gatehouse's account schema alone. */
  readonly schema?: GraphQLSchema;
}

/**
 * What Sandbox opens with in development: a query that needs no credential, and where to get one.
 * No header is pre-filled: an empty `Authorization: Bearer ` is a malformed credential, which the
 * server refuses with 401, so Sandbox could not even load the schema with it.
 */
export const SANDBOX_INITIAL_DOCUMENT = `# Welcome to gatehouse. This query needs no credential: run it.
# To act as a user, open /signin on this server: it signs you in and opens
# Sandbox with "Authorization: Bearer <your token>" set. Or add that header
# yourself (connection settings, shared headers) with the accessToken that
# signUp or login returns.
query Welcome {
  publicMessage
}
`;

/** The validation rules gatehouse adds to graphql's own: the query limits, and introspection off when configured so. */
export function gatehouseValidationRules(app: App): ValidationRule[] {
  // Introspection off is gatehouse's rule rather than Apollo's, whose message names an option of its own.
  return [...limitRules(app.config.operationLimits), ...(app.config.introspection ? [] : [introspectionOffRule])];
}

/** Where the error policy logs, and what it remembers of a request's unexpected errors. */
export interface ErrorPolicy {
  readonly log: Logger;
  readonly masked: WeakMap<object, MaskedAs>;
  readonly explainDenials: boolean;
}

export function errorPolicy(app: App, log: Logger): ErrorPolicy {
  return { log, masked: new WeakMap(), explainDenials: app.config.explainDenials };
}

/**
 * gatehouse's formatError: one error as the client gets it. Apollo's own server option in
 * gatehouse's server; applied in willSendResponse by the plugin form (src/graphql/plugins/embedded-server.ts).
 */
export function formatGatehouseError(policy: ErrorPolicy, formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const masking = policy.masked.get(error as object);
  if (masking !== undefined) return maskedError(masking.as, masking.requestId, formatted.path);
  // Apollo refuses some requests with a 400 but no code (a persisted-query hash that does not
  // match its query, an unsupported persisted-query version), and then labels them
  // INTERNAL_SERVER_ERROR. They are the client's mistake, in Apollo's fixed wording: answered as
  // BAD_REQUEST, not masked and logged as a failure of ours.
  if (formatted.extensions?.['code'] === ErrorCode.INTERNAL_SERVER_ERROR && isClientRefusal(error)) {
    return { message: formatted.message, extensions: { code: ApolloServerErrorCode.BAD_REQUEST } };
  }
  // Apollo's own 500s (a context function or a plugin's requestDidStart that threw something
  // unexpected, say) can carry raw text. They come with no request context: the HTTP layer adds
  // the request id to the answer (src/http/server.ts), and the detail is logged here.
  if (formatted.extensions?.['code'] === ErrorCode.INTERNAL_SERVER_ERROR) {
    const requestId = formatted.extensions['requestId'] as string | undefined;
    if (requestId === undefined && !isApolloReplacement(error))
      policy.log.error({ err: error }, 'unexpected error outside GraphQL execution');
    return maskedError('internal', requestId, formatted.path);
  }
  // graphql's parser recurses once per nesting level, so a document within MAX_QUERY_TOKENS can
  // still nest deeper than the stack (a list literal ~1,000 levels deep): Node's RangeError text is
  // no answer. Said as the WebSocket transport says it (src/subscriptions/read-operation.ts).
  if (formatted.extensions?.['code'] === ApolloServerErrorCode.GRAPHQL_PARSE_FAILED && !causedBySyntax(error)) {
    return { ...formatted, message: 'The document could not be parsed.' };
  }
  // Apollo prefixes errors thrown while building the context; ours are complete sentences already.
  if (formatted.message.startsWith('Context creation failed: ')) {
    return { ...formatted, message: formatted.message.slice('Context creation failed: '.length) };
  }
  return explained(formatted, error, policy.explainDenials);
}

/** Whether a parse failure comes from graphql's syntax errors (Apollo wraps them), not from something the parser threw. */
function causedBySyntax(error: unknown): boolean {
  let cause = error;
  while (cause instanceof GraphQLError && cause.originalError instanceof Error) cause = cause.originalError;
  return cause instanceof GraphQLError;
}

function isApolloReplacement(error: unknown): boolean {
  return error instanceof Error && !(error instanceof GraphQLError) && error.message === APOLLO_REPLACEMENT;
}

/**
 * The plugins that carry gatehouse's behaviour in any Apollo Server: error logging and masking's
 * bookkeeping, subscriptions refused over HTTP, the mutation gate, suggestions hidden in
 * production and per-caller introspection (re-validating with `validationRules`, the rules
 * Apollo is given besides graphql's own). The application's plugins (App.apolloPlugins) go last.
 */
export function gatehousePlugins(
  app: App,
  policy: ErrorPolicy,
  validationRules: readonly ValidationRule[],
): ApolloServerPlugin<GraphQLContext>[] {
  const production = app.config.nodeEnv === 'production';
  return [
    // Apollo computes a cache policy for every resolved field by default; gatehouse's answers
    // depend on who asks and are never cached by HTTP caches, so that work is pure cost.
    ApolloServerPluginCacheControlDisabled(),
    // A subgraph would send a federated trace (errors, timings) to any caller asking with a header.
    ApolloServerPluginInlineTraceDisabled(),
    errorLoggingPlugin(policy.log, policy.masked),
    subscriptionsOverHttpPlugin(),
    operationGatePlugin(app.config.refuseDeniedQueries, app.config.explainDenials),
    // hideSchemaDetailsFromClientErrors would add this plugin last; here it comes before the next
    // one, whose validation errors (those the caller would get were hidden parts absent) it must
    // also strip: Apollo runs validation's end hooks in reverse order.
    ...(production ? [ApolloServerPluginDisableSuggestions()] : []),
    visibleIntrospectionPlugin(validationRules),
  ];
}

/**
 * Apollo's constructor options for gatehouse's own server: the schema, gatehouse's plugins, its
 * validation rules, token limit and formatError, and Apollo's switches set as gatehouse needs them.
 */
export function apolloServerConfig(app: App, options: GatehouseApolloOptions): ApolloServerOptionsWithSchema<GraphQLContext> {
  const production = app.config.nodeEnv === 'production';
  const policy = errorPolicy(app, options.log);
  const validationRules = gatehouseValidationRules(app);
  return {
    schema: options.schema ?? buildSchema({}, { strict: app.config.authStrict, policyTimeoutMs: app.config.policyTimeoutMs }),
    // Per caller (src/graphql/plugins/visible-introspection.ts); off (introspectionOffRule) in production unless INTROSPECTION=true.
    introspection: true,
    includeStacktraceInErrorResponses: false,
    logger: apolloLogger(options.log),
    hideSchemaDetailsFromClientErrors: production,
    allowBatchedHttpRequests: false,
    // main.ts handles SIGTERM/SIGINT (finish requests, close the store, exit 0). Apollo's own handlers
    // raced it: both stopping at once sometimes never finished, and the process stayed up.
    stopOnTerminationSignals: false,
    csrfPrevention: true,
    validationRules,
    // Counted while parsing, so a huge document is refused (400) before it is built in memory.
    parseOptions: { maxTokens: app.config.operationLimits.maxTokens },
    plugins: [
      ...gatehousePlugins(app, policy, validationRules),
      production
        ? ApolloServerPluginLandingPageDisabled()
        : landingPagePlugin({
            document: SANDBOX_INITIAL_DOCUMENT,
            graphqlUrl: `http://${app.config.host.includes(':') ? `[${app.config.host}]` : app.config.host}:${app.config.port}/graphql`,
            adminConsolePath: app.config.adminConsole ? '/admin' : null,
            signInPath: '/signin',
          }),
      ...(options.plugins ?? []),
      ...(app.apolloPlugins ?? []),
    ],
    formatError: (formatted, error) => formatGatehouseError(policy, formatted, error),
  };
}

/** The Apollo server with gatehouse's schema, limits and error policy; used over HTTP and by the test kit. */
export function createApolloServer(app: App, options: GatehouseApolloOptions): ApolloServer<GraphQLContext> {
  return new ApolloServer<GraphQLContext>(apolloServerConfig(app, options));
}

/** The per-request context; `viewer` and `user` come from authentication. */
export function createContext(
  app: App,
  request: {
    viewer: Viewer | null;
    user: UserRecord | null;
    sessionId?: string | null;
    clientAddress: string;
    requestId: string;
    log?: Logger;
  },
): GraphQLContext {
  const loaders = lazyLoaders(app);
  return {
    viewer: request.viewer,
    viewerUser: request.user,
    sessionId: request.sessionId ?? null,
    app,
    db: app.store.db,
    now: app.now,
    clientAddress: request.clientAddress,
    requestId: request.requestId,
    ...(request.log ? { log: request.log } : {}),
    loaders,
    loadUser: (id) => loaders.userById.load(id),
    events: publishOnlyEvents(app.events, request.log),
  };
}

/** Made on first use: most requests never load a user by id, and then pay nothing for it. */
function lazyLoaders(app: App): GraphQLContext['loaders'] {
  let userById: DataLoader<string, UserRecord | null> | undefined;
  return {
    get userById() {
      return (userById ??= new DataLoader<string, UserRecord | null>(async (ids) => {
        const users = new Map((await findUsersByIds(app.store.db, ids)).map((user) => [user.id, user]));
        return ids.map((id) => users.get(id) ?? null);
      }));
    },
  };
}
