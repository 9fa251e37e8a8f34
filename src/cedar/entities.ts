// How a policy's question becomes a Cedar request (docs/protecting-fields.md, "Cedar policies"):
// - principal: the viewer as `User::"<id>"` (attributes id, via, roles, scopes, allScopes,
//   organizationIds; parents `Role::"<role>"` for every role it holds, hierarchy expanded, and
//   `Organization::"<id>"` for every organization it belongs to); anonymous is `Anonymous::"anonymous"`.
// - action: `Action::"<Type.field>"`, the coordinate being decided.
// - resource: on an object's field, `<Type>::"<id>"` with the properties the mapping names as
//   attributes; the id is `"*"` unless the mapping asks for it, so objects equal in those
//   properties share one decision. On a root field, `<Root>::"<field>"`, with the arguments in
//   `context.args`.
// Pure: builds JSON for the engine; calls nothing.
import type { Viewer } from '../auth/viewer';
import type { PolicyInput } from '../enforcement/policies';

/** A Cedar value in its JSON form. */
export type CedarValue = string | number | boolean | readonly CedarValue[] | { readonly [key: string]: CedarValue };

export interface EntityUid {
  readonly type: string;
  readonly id: string;
}

export interface CedarEntity {
  readonly uid: EntityUid;
  readonly attrs: Readonly<Record<string, CedarValue>>;
  readonly parents: readonly EntityUid[];
}

/** What Cedar sees of one GraphQL object type. */
export interface CedarResourceMapping {
  /** The object's properties Cedar may read as `resource.<name>` (strings, integers, booleans, lists of them). */
  readonly attributes?: readonly string[];
  /**
   * Give Cedar the object's id (this property, e.g. `"id"`) as the entity id, for policies that name
   * single objects (`resource == Invoice::"42"`). Default: none, the id is `"*"`, and objects with the
   * same attributes share one cached decision.
   */
  readonly id?: string;
}

/** One Cedar request, and the key its decision is remembered under. */
export interface CedarRequest {
  readonly key: string;
  readonly principal: EntityUid;
  readonly action: EntityUid;
  readonly resource: EntityUid;
  readonly context: Readonly<Record<string, CedarValue>>;
  readonly entities: readonly CedarEntity[];
}

/** A value as Cedar holds it; undefined for what Cedar cannot hold (null, objects, non-integers are strings). */
export function toCedarValue(value: unknown): CedarValue | undefined {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : String(value);
  if (typeof value === 'bigint') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(toCedarValue).filter((v): v is CedarValue => v !== undefined);
  if (typeof value === 'object' && value !== null) {
    const record: Record<string, CedarValue> = {};
    for (const [key, item] of Object.entries(value)) {
      const converted = toCedarValue(item);
      if (converted !== undefined) record[key] = converted;
    }
    return record;
  }
  return undefined;
}

const ANONYMOUS: CedarEntity = { uid: { type: 'Anonymous', id: 'anonymous' }, attrs: {}, parents: [] };

/** The principal's entities (itself, its roles, its organizations) and a key, computed once per viewer object. */
const principals = new WeakMap<Viewer, { readonly key: string; readonly entities: readonly CedarEntity[] }>();

export function principalOf(viewer: Viewer | null): { readonly key: string; readonly entities: readonly CedarEntity[] } {
  if (viewer === null) return { key: 'anonymous', entities: [ANONYMOUS] };
  let found = principals.get(viewer);
  if (found !== undefined) return found;
  // Viewers gatehouse builds hold their roles expanded (what each role includes, ADMIN every role).
  const roles = [...new Set(viewer.roles)].sort();
  const organizationIds = Object.keys(viewer.organizations ?? {}).sort();
  const attrs: Record<string, CedarValue> = {
    id: viewer.id,
    via: viewer.via,
    roles,
    scopes: [...(viewer.scopes ?? [])],
    allScopes: viewer.scopes === undefined,
    organizationIds,
  };
  const self: CedarEntity = {
    uid: { type: 'User', id: viewer.id },
    attrs,
    parents: [...roles.map((id) => ({ type: 'Role', id })), ...organizationIds.map((id) => ({ type: 'Organization', id }))],
  };
  const entities = [
    self,
    ...roles.map((id) => ({ uid: { type: 'Role', id }, attrs: {}, parents: [] })),
    ...organizationIds.map((id) => ({ uid: { type: 'Organization', id }, attrs: {}, parents: [] })),
  ];
  found = { key: JSON.stringify(attrs), entities };
  principals.set(viewer, found);
  return found;
}

/** The Cedar request for one policy input. */
export function requestOf(
  input: PolicyInput,
  resources: Readonly<Record<string, CedarResourceMapping>>,
  extraContext: ((input: PolicyInput) => Record<string, unknown>) | undefined,
): CedarRequest {
  const principal = principalOf(input.viewer);
  const [typeName, fieldName] = input.coordinate.split('.') as [string, string];
  const context: Record<string, CedarValue> = {};
  let resource: CedarEntity;
  if (input.object === undefined) {
    context['args'] = toCedarValue(input.args) ?? {};
    resource = { uid: { type: typeName, id: fieldName }, attrs: {}, parents: [] };
  } else {
    const mapping = resources[typeName] ?? {};
    const object = input.object as Record<string, unknown>;
    const attrs: Record<string, CedarValue> = {};
    for (const name of mapping.attributes ?? []) {
      const value = toCedarValue(object[name]);
      if (value !== undefined) attrs[name] = value;
    }
    const id = mapping.id === undefined ? '*' : String(object[mapping.id]);
    resource = { uid: { type: typeName, id }, attrs, parents: [] };
  }
  if (extraContext !== undefined) {
    for (const [key, value] of Object.entries(extraContext(input))) {
      const converted = toCedarValue(value);
      if (converted !== undefined) context[key] = converted;
    }
  }
  const action = { type: 'Action', id: input.coordinate };
  const key = `${principal.key}\u0000${input.coordinate}\u0000${resource.uid.type}::${resource.uid.id}\u0000${JSON.stringify(resource.attrs)}\u0000${JSON.stringify(context)}`;
  return {
    key,
    principal: principal.entities[0]!.uid,
    action,
    resource: resource.uid,
    context,
    entities: [...principal.entities, resource],
  };
}
