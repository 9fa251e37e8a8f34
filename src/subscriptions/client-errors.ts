/**
 * Errors as a WebSocket client gets them, as HTTP's: ours keep their code; anything without one
 * (a resolver's exception, a null in a non-null field) is logged and masked by the shared rule
 * (src/graphql/error-masking.ts). Did-you-mean suggestions name fields: in production they are
 * left out, and otherwise only what this caller may see is suggested.
 */
import type { GraphQLError, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { Viewer } from '../auth/viewer';
import { hasSuggestion, withoutHiddenSuggestions } from '../enforcement/hidden-suggestions';
import { visibleSchemaFor } from '../enforcement/visible-schema';
import { namingRequest } from '../graphql/request-ids';
import { codeMasks, explained, logUnexpected, type MaskingLog, maskedError, unexpectedCause } from '../graphql/error-masking';

const SUGGESTION = / ?Did you mean [^?]*\?/g;

export interface ClientErrorSettings {
  readonly schema: GraphQLSchema;
  readonly production: boolean;
  /** Put `extensions.rule` on denials (config.explainDenials), as HTTP does. */
  readonly explainDenials?: boolean;
}

/**
 * `errors` for the client of `viewer`, each naming the request `requestId` (the socket's), in a
 * `next` payload as in an `error` message; unexpected ones are logged to `log` and masked.
 */
export function clientErrors(
  settings: ClientErrorSettings,
  errors: readonly GraphQLError[],
  log: MaskingLog,
  requestId: string,
  viewer: Viewer | null,
): readonly GraphQLFormattedError[] {
  return namingRequest(
    errors.map((error) => clientError(settings, error, log, requestId, viewer)),
    requestId,
  );
}

function clientError(
  settings: ClientErrorSettings,
  error: GraphQLError,
  log: MaskingLog,
  requestId: string,
  viewer: Viewer | null,
): GraphQLFormattedError {
  if (codeMasks(error.extensions['code'], error.path !== undefined)) {
    const cause = unexpectedCause(error) ?? error;
    const masking = logUnexpected(log, cause, { path: error.path, requestId }, 'subscription');
    return maskedError(masking, requestId, error.path);
  }
  const formatted = explained(error.toJSON(), error, settings.explainDenials ?? false);
  if (settings.production) return { ...formatted, message: formatted.message.replace(SUGGESTION, '') };
  // As over HTTP (src/enforcement/visible-introspection.ts): suggest only what this caller may see.
  return hasSuggestion(formatted.message)
    ? { ...formatted, message: withoutHiddenSuggestions(formatted.message, visibleSchemaFor(settings.schema, viewer)) }
    : formatted;
}
