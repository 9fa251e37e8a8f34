// `Query.authMap`: the auth map of the schema this server serves, the same map `gatehouse auth-map
// --json` prints (src/tools/auth-map.ts, placed in the enforcement layer for this), for the admin
// console. Built once per schema: the schema does not change while it is served.
import type { GraphQLSchema } from 'graphql';
import { declaredRoles } from '../../enforcement/declared-roles';
import { type AuthMap, buildAuthMap } from '../../tools/auth-map';
import type { Resolvers } from '../generated/resolvers-types';

/** The map's callers in its own order: anonymous, then each role the schema declares. */
export function authMapCallers(schema: GraphQLSchema): string[] {
  return ['anonymous', ...declaredRoles(schema).roles];
}

const maps = new WeakMap<GraphQLSchema, AuthMap & { readonly callers: readonly string[] }>();

function servedAuthMap(schema: GraphQLSchema): AuthMap & { readonly callers: readonly string[] } {
  let map = maps.get(schema);
  if (map === undefined) {
    map = { ...buildAuthMap(schema), callers: authMapCallers(schema) };
    maps.set(schema, map);
  }
  return map;
}

export const authMapResolvers: Resolvers = {
  Query: {
    authMap: (_parent, _args, _context, info) => {
      const map = servedAuthMap(info.schema);
      return {
        callers: [...map.callers],
        openRootFields: [...map.openRootFields],
        entries: map.entries.map((e) => ({
          coordinate: e.coordinate,
          requires: e.requires,
          from: e.from,
          reachableBy: [...e.reachableBy],
        })),
      };
    },
  },
};
