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
import { explained, logUnexpected, type MaskingLog, maskedError, unexpectedCause } from '../graphql/error-masking';

const SUGGESTION = / ?Did you mean [^?]*\?/g;

export interface ClientErrorSettings {
  readonly schema: GraphQLSchema;
  readonly production: boolean;
  /** Put `extensions.rule` on denials (config.explainDenials), as HTTP does. */
  readonly explainDenials?: boolean;
}

/** `errors` for the client of `viewer`; unexpected ones are logged to `log` and masked with `requestId`. */
export function clientErrors(
  settings: ClientErrorSettings,
  errors: readonly GraphQLError[],
  log: MaskingLog,
  requestId: string,
  viewer: Viewer | null,
): GraphQLFormattedError[] {
  return errors.map((error) => {
    if (error.extensions['code'] === undefined) {
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
  });
}
