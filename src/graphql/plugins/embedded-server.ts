// What gatehouse's own server gets from Apollo's constructor options, given to an Apollo Server a
// team constructs (gatehouse/apollo), whose snippet passes only `schema` and `plugins`. Apollo
// answers an error thrown while parsing or validating with a 500 (STACK-NOTES "Apollo Server 5"),
// so each option is carried by a hook that can answer as the option would:
// - parseOptions.maxTokens: counted in requestDidStart, before Apollo reads the query. Any hook
//   that throws before didResolveOperation is answered 500, so a refused request's query is
//   replaced there by a one-field placeholder, and the refusal thrown in didResolveOperation
//   (answered with its status, 400, like Apollo's syntax error). This plugin goes first, so that
//   its refusal is the one Apollo answers.
// - validationRules (the limits, introspection off): added to graphql's validation errors when
//   there are some (the very array Apollo sends), else checked in didResolveOperation, once per
//   parsed document (Apollo caches documents: a cached one is not validated again).
// - formatError: applied in willSendResponse, to each formatted error beside the error it came
//   from (Apollo formats requestContext.errors in order), and the stack removed from every error.
// graphql's SingleFieldSubscriptionsRule throws on some documents (a 500 from Apollo): that too is
// found in requestDidStart and answered 400, as gatehouse's route answers it.
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import {
  type DocumentNode,
  type GraphQLFormattedError,
  GraphQLError,
  type GraphQLSchema,
  Lexer,
  Source,
  TokenKind,
  type ValidationRule,
  validate,
} from 'graphql';
import type { GraphQLContext } from '../context';

export interface EmbeddedServerOptions {
  /** The schema served: the limits' cost counts its lists. */
  readonly schema: GraphQLSchema;
  /** The rules gatehouse's server gives Apollo besides graphql's own. */
  readonly validationRules: readonly ValidationRule[];
  /** The most tokens a document may have (MAX_QUERY_TOKENS). */
  readonly maxTokens: number;
  /** gatehouse's formatError. */
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** graphql's SingleFieldSubscriptionsRule's throw, as a GraphQLError (src/graphql/apollo.ts). */
  readonly subscriptionRuleThrows: (schema: GraphQLSchema, query: unknown, maxTokens: number) => GraphQLError | undefined;
}

/**
 * The same message graphql's parser gives with `maxTokens` ("Syntax Error: Document contains more
 * than N tokens. Parsing aborted."), or undefined. Only a document longer than `maxTokens`
 * characters can have more tokens, so a short one costs a length check. A lexing error is left to
 * Apollo's parse, which reports it as gatehouse's server does.
 */
export function tooManyTokens(query: unknown, maxTokens: number): string | undefined {
  if (typeof query !== 'string' || query.length <= maxTokens) return undefined;
  try {
    const lexer = new Lexer(new Source(query));
    let count = 0;
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++count > maxTokens) return `Syntax Error: Document contains more than ${maxTokens} tokens. Parsing aborted.`;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** A refusal answered with HTTP 400 and the request's id. */
function refusal(message: string, code: string, requestId: string | undefined): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...(requestId ? { requestId } : {}), http: { status: 400 } } });
}

/** What a refused request's query becomes, so that Apollo reaches didResolveOperation without work. */
const PLACEHOLDER_QUERY = 'query GatehouseRefused { __typename }';

/** The plugin; put it before gatehouse's other plugins. */
export function embeddedServerPlugin(options: EmbeddedServerOptions): ApolloServerPlugin<GraphQLContext> {
  const { schema, maxTokens, formatError } = options;
  const rules = [...options.validationRules];
  // The limits' verdict per parsed document: Apollo hands the same object for a cached document.
  const verdicts = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  const verdictOf = (document: DocumentNode): readonly GraphQLError[] => {
    let errors = verdicts.get(document);
    if (errors === undefined) {
      errors = rules.length === 0 ? [] : validate(schema, document, rules);
      verdicts.set(document, errors);
    }
    return errors;
  };
  // The rest of a refused document's limit errors, added where Apollo answers the first.
  const more = new WeakMap<GraphQLError, readonly GraphQLError[]>();
  // Requests refused before parsing (too many tokens, a subscription rule that throws), by request.
  const refused = new WeakMap<object, GraphQLError>();
  const listeners: GraphQLRequestListener<GraphQLContext> = {
    async validationDidStart({ document }) {
      return async (errors) => {
        // All rules run together in gatehouse's server: a limit error arrives with the others.
        // (Per-caller introspection may have re-validated with these rules already: no twice.)
        if (errors === undefined || errors.length === 0) return;
        const known = new Set(errors.map((error) => error.message));
        for (const error of verdictOf(document)) if (!known.has(error.message)) (errors as GraphQLError[]).push(error);
      };
    },
    async didResolveOperation({ document, request }) {
      const refusal = refused.get(request);
      if (refusal !== undefined) throw refusal;
      const errors = verdictOf(document);
      if (errors.length === 0) return;
      const [first, ...rest] = errors.map(withStatus400);
      more.set(first as GraphQLError, rest);
      throw first;
    },
    async didEncounterErrors({ errors }) {
      const rest = errors.length === 1 ? more.get(errors[0] as GraphQLError) : undefined;
      if (rest !== undefined && rest.length > 0) (errors as GraphQLError[]).push(...rest);
    },
    async willSendResponse({ response, errors }) {
      if (response.body.kind !== 'single') return;
      const result = response.body.singleResult;
      if (result.errors === undefined) return;
      result.errors = result.errors.map((formatted, i) => {
        const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
        const plain = formatted.extensions === undefined ? formatted : { ...formatted, extensions };
        return formatError(plain, errors?.[i]);
      });
    },
  };
  return {
    async requestDidStart({ request, contextValue }) {
      const overflow = tooManyTokens(request.query, maxTokens);
      const thrown = overflow === undefined ? options.subscriptionRuleThrows(schema, request.query, maxTokens) : undefined;
      if (overflow !== undefined) refused.set(request, refusal(overflow, 'GRAPHQL_PARSE_FAILED', contextValue.requestId));
      else if (thrown !== undefined) refused.set(request, refusal(thrown.message, 'GRAPHQL_VALIDATION_FAILED', contextValue.requestId));
      if (refused.has(request)) request.query = PLACEHOLDER_QUERY;
      return listeners;
    },
  };
}

/** A limit error as Apollo answers a validation error: code GRAPHQL_VALIDATION_FAILED, HTTP 400. */
function withStatus400(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
  });
}
