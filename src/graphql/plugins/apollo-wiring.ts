// Whether a team's Apollo Server was given what gatehouse/apollo needs: every plugin of `g.plugins`
// and `g.context`. The directives live in the schema and hold without either, but the mutation gate,
// per-caller introspection, the query limits and error masking are plugins: an ApolloServer built
// with `{ schema: g.schema }` alone served hidden fields through introspection and ran a mutation's
// side effects before refusing its denied fields (seen 2026-12-06). A context not made by
// `g.context` has no credential read and none of what the plugins need (they failed with a
// TypeError naming `context.app`). No hook of gatehouse's runs while such a server starts, so each
// request is refused instead, fail closed, with a message that names the fix:
// - the context function refuses (500) while any of gatehouse's plugins has not started;
// - the first plugin refuses a request whose context is not this gatehouse's (`context.app`).
// And a server whose schema is not gatehouse's but built from it (mergeSchemas, …) is checked as it
// starts: a field added there with a rule nothing enforces, or an open root field in strict mode,
// makes `server.start()` reject (src/enforcement/served-schema.ts).
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLSchema } from 'graphql';

/** Why a request was refused: the ApolloServer is not wired as docs/apollo.md says. */
export const MISSING_PLUGINS =
  "gatehouse/apollo: this ApolloServer was started without gatehouse's plugins. Pass them: new ApolloServer({ schema: g.schema, plugins: [...g.plugins, ...yours] }). Every request is refused until then.";
export const FOREIGN_CONTEXT =
  "gatehouse/apollo: this request's context was not made by g.context. Pass it to your integration (startStandaloneServer(server, { context: g.context }), expressMiddleware(server, { context: g.context })), or spread its result into yours.";

export interface ApolloWiring {
  /** `plugins`, each noting when its server starts, the first also checking each request's context. */
  readonly plugins: ApolloServerPlugin<any>[];
  /** Throws the refusal while some plugin has not started in any server. */
  assertStarted(): void;
}

/** A 500 whose message says what to change; no stack: Apollo would send it outside production. */
function misconfigured(message: string): GraphQLError {
  const error = new GraphQLError(message, { extensions: { code: 'INTERNAL_SERVER_ERROR', http: { status: 500 } } });
  Object.defineProperty(error, 'stack', { value: undefined });
  return error;
}

/**
 * Wraps gatehouse's plugins for a team's server. `isOurs` tells a context made by `g.context` (or
 * one spreading it); `report` logs each refusal where the operator looks.
 */
export function apolloWiring(
  plugins: readonly ApolloServerPlugin<any>[],
  isOurs: (context: unknown) => boolean,
  report: (message: string) => void,
  /** What is wrong with the schema a server starts with, or null (checked as it starts). */
  servedProblem: (schema: GraphQLSchema) => string | null = () => null,
): ApolloWiring {
  const started = new Set<number>();
  // Each plugin is wrapped by a child object (Object.create), not a copy: a plugin that is a class
  // instance keeps its prototype's hooks, and Apollo's `'…' in plugin` tests still see its marks.
  const wrapped = plugins.map((plugin, index): ApolloServerPlugin<any> => {
    const own = plugin.serverWillStart?.bind(plugin);
    const hooks: Partial<ApolloServerPlugin<any>> = {
      async serverWillStart(server) {
        if (index === 0) {
          const problem = servedProblem(server.schema);
          if (problem !== null) {
            report(`gatehouse/apollo: ${problem}`);
            throw new Error(`gatehouse/apollo: ${problem}`);
          }
        }
        started.add(index);
        return own?.(server);
      },
    };
    if (index === 0) {
      const requestDidStart = plugin.requestDidStart?.bind(plugin);
      hooks.requestDidStart = async (request) => {
        if (!isOurs(request.contextValue)) {
          report(FOREIGN_CONTEXT);
          // Thrown here, Apollo answers 500 before any resolver runs, and logs this message.
          throw new Error(FOREIGN_CONTEXT);
        }
        return requestDidStart?.(request);
      };
    }
    return Object.assign(Object.create(plugin) as ApolloServerPlugin<any>, hooks);
  });
  return {
    plugins: wrapped,
    assertStarted() {
      if (started.size === plugins.length) return;
      report(MISSING_PLUGINS);
      throw misconfigured(MISSING_PLUGINS);
    },
  };
}
