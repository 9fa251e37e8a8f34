import { HashQueueFull } from '../../auth/passwords';
import { serviceUnavailable } from '../../errors';

/**
 * The GraphQL answer for an expected failure that services report as a plain typed error; anything
 * else goes on unchanged (a GraphQLError as it is, the unexpected to be masked and logged).
 */
export function toGraphQLError(error: unknown): unknown {
  if (error instanceof HashQueueFull) {
    return serviceUnavailable(
      error.retryAfterSeconds,
      `The server is busy checking passwords. Try again in ${Math.max(1, Math.ceil(error.retryAfterSeconds))} seconds.`,
    );
  }
  return error;
}

/** Awaits `work`, turning typed service failures into their GraphQL errors. */
export async function atEdge<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw toGraphQLError(error);
  }
}
