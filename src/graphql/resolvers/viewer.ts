import type { Viewer } from '../../auth/viewer';
import { unauthenticated } from '../errors';
import type { RequestOrigin } from '../../services/audit';
import type { GraphQLContext } from '../context';

/**
 * The viewer of an `@auth` field. The directive has already refused anonymous callers; this keeps
 * the resolver safe (and typed) even if the directive were removed from the SDL.
 */
export function signedIn(context: GraphQLContext): Viewer {
  if (context.viewer === null) throw unauthenticated();
  return context.viewer;
}

/** Who is acting and from where, for the audit log. */
export function originOf(context: GraphQLContext): RequestOrigin {
  return { actorId: context.viewer?.id ?? null, address: context.clientAddress, source: 'request' };
}
