// `@owner`: a field only the owner of an object, or a caller holding a role, may use. On an object's
// field the object is the parent (its owner's id is one of its properties: no query at all, however
// long the list); on a root field the object is the one whose id the field takes, loaded once per
// request through the application's loader for its type (batched: see loadOwned).
import DataLoader from 'dataloader';
import type { GraphQLError } from 'graphql';
import type { RoleCatalog } from '../auth/role-catalog';
import type { Viewer } from '../auth/viewer';
import { forbidden, unauthenticated } from './denials';

/** What one `@owner` says. */
export interface OwnerRule {
  /** The property of the object that holds its owner's user id (e.g. `authorId`, or `id` for a User). */
  readonly field: string;
  /** A role that passes without owning the object (ADMIN), or null. */
  readonly orRole: string | null;
  /** On a root field: the type of the object to load (a key of the `loaders` option); null on an object's field. */
  readonly loads: string | null;
  /** On a root field: the argument holding the object's id. */
  readonly idArgument: string;
  /** Objects whose `field` property equals `value` are open to anyone (a PUBLIC note); null: none. */
  readonly openWhen: { readonly field: string; readonly value: string } | null;
}

/**
 * Loads objects of one type by id, in one batch: one result per id, in order (null or undefined
 * when there is none). Gets the request's context (e.g. `context.db`).
 */
export type OwnedObjectLoader = (ids: readonly string[], context: unknown) => Promise<readonly (object | null | undefined)[]>;

/**
 * Marks an object as the caller's own for this request although the caller is not signed in: the
 * user that signUp, login and refreshToken return belongs to whoever made that request.
 */
export const CALLER_OWNS: unique symbol = Symbol.for('gatehouse.callerOwns');

export function ownedByCaller<T extends object>(object: T): T & { readonly [CALLER_OWNS]: true } {
  return { ...object, [CALLER_OWNS]: true };
}

/** True when `viewer` owns `object` under `rule`, or holds its role. Pure. */
export function passesOwnership(rule: OwnerRule, viewer: Viewer | null, object: object, roles: RoleCatalog): boolean {
  if ((object as { [CALLER_OWNS]?: unknown })[CALLER_OWNS] === true) return true;
  const open = rule.openWhen;
  if (open !== null && String((object as Record<string, unknown>)[open.field]) === open.value) return true;
  if (viewer === null) return false;
  if (rule.orRole !== null && roles.holds(viewer.roles, rule.orRole)) return true;
  const owner = (object as Record<string, unknown>)[rule.field];
  return owner !== undefined && owner !== null && String(owner) === viewer.id;
}

/** The error for a caller who fails `rule` on `coordinate`: UNAUTHENTICATED when anonymous, FORBIDDEN otherwise. */
export function ownershipDenial(rule: OwnerRule, viewer: Viewer | null, coordinate: string): GraphQLError {
  if (viewer === null) return unauthenticated(`You must be signed in to use ${coordinate}.`);
  const who = rule.orRole === null ? 'its owner' : `its owner or an ${rule.orRole}`;
  return forbidden(`Only ${who} may use ${coordinate} on this object.`);
}

/** One DataLoader per request (its context object) and type: the gate and the resolver share what they load. */
const perRequest = new WeakMap<object, Map<string, DataLoader<string, object | null>>>();

/**
 * A context property naming what the loaded objects are remembered for, when that is not the context
 * object itself: a subscription keeps one context for its whole life, and each of its events must
 * decide ownership on the object as it is then (src/subscriptions/live-context.ts).
 */
export const OWNED_OBJECTS_SCOPE: unique symbol = Symbol.for('gatehouse.ownedObjectsScope');

/**
 * The object `id` names, through `loader`, batched with every other id of the same type asked for in
 * the same tick of the same request, and remembered for the rest of the request.
 */
export function loadOwned(context: object, type: string, loader: OwnedObjectLoader, id: string): Promise<object | null> {
  const scope = (context as { [OWNED_OBJECTS_SCOPE]?: object })[OWNED_OBJECTS_SCOPE] ?? context;
  let loaders = perRequest.get(scope);
  if (loaders === undefined) perRequest.set(scope, (loaders = new Map()));
  let byId = loaders.get(type);
  if (byId === undefined) {
    byId = new DataLoader<string, object | null>(async (ids) => {
      const found = await loader(ids, context);
      return ids.map((_, i) => found[i] ?? null);
    });
    loaders.set(type, byId);
  }
  return byId.load(id);
}
