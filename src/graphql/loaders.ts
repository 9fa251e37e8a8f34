// The loaders gatehouse's own schema names in root fields' `@owner(loads: …)` (schema/*.graphql):
// `ApiKey`, for revokeApiKey and rotateApiKey (its owner, or an ADMIN). An application's loaders
// are merged over these by src/graphql/schema.ts. Each loads every id of a request's batch in one
// query; an id that is not a valid one names nothing (the resolver then answers it as before).
import type { OwnedObjectLoader } from '../enforcement/ownership';
import { validId } from '../services/validation';
import { findApiKeysByIds } from '../store/api-keys';
import type { GraphQLContext } from './context';

/** A valid id in its stored form, or null. */
function storedId(raw: string): string | null {
  try {
    return validId(raw);
  } catch {
    return null;
  }
}

const apiKeys: OwnedObjectLoader = async (ids, context) => {
  const valid = ids.map(storedId);
  const found = await findApiKeysByIds(
    (context as GraphQLContext).app.store.db,
    valid.filter((id): id is string => id !== null),
  );
  const byId = new Map(found.filter((key) => key !== undefined).map((key) => [key.id, key]));
  return valid.map((id) => (id === null ? null : (byId.get(id) ?? null)));
};

/** gatehouse's own loaders, by the type name `@owner(loads: …)` gives. */
export const accountLoaders: Readonly<Record<string, OwnedObjectLoader>> = { ApiKey: apiKeys };
