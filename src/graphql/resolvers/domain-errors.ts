// Where gatehouse's resolvers meet the services: a domain error (src/errors.ts) thrown by a
// resolver or the service it calls leaves as its GraphQL answer (src/graphql/errors.ts); anything
// else goes on unchanged (a GraphQLError as it is, the unexpected to be masked and logged).
import type { GraphQLFieldResolver } from 'graphql';
import { isDomainError } from '../../errors';
import { toGraphQLError } from '../errors';

function rethrow(error: unknown): never {
  throw isDomainError(error) ? toGraphQLError(error) : error;
}

/** `resolve`, answering domain errors at the edge; a synchronous resolver stays synchronous. */
function answeringDomainErrors(resolve: GraphQLFieldResolver<unknown, unknown>): GraphQLFieldResolver<unknown, unknown> {
  return (source, args, context, info) => {
    try {
      const result = resolve(source, args, context, info);
      return result instanceof Promise ? result.catch(rethrow) : result;
    } catch (error) {
      return rethrow(error);
    }
  };
}

/**
 * A resolver map whose field resolvers answer domain errors with their GraphQL errors. Scalars and
 * enums (anything that is not a plain map of fields) are left as they are.
 */
export function withDomainErrorsAnswered<T extends object>(resolvers: T): T {
  const mapped: Record<string, unknown> = {};
  for (const [typeName, fields] of Object.entries(resolvers)) {
    if (fields === null || typeof fields !== 'object' || Object.getPrototypeOf(fields) !== Object.prototype) {
      mapped[typeName] = fields;
      continue;
    }
    mapped[typeName] = Object.fromEntries(
      Object.entries(fields as Record<string, unknown>).map(([name, field]) => [
        name,
        typeof field === 'function' ? answeringDomainErrors(field as GraphQLFieldResolver<unknown, unknown>) : field,
      ]),
    );
  }
  return mapped as T;
}
