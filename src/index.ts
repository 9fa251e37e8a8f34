/**
 * gatehouse: put your GraphQL API behind schema-declared access control.
 *
 *     import { createGatehouse } from 'gatehouse';
 *     const gatehouse = await createGatehouse({ typeDefs, resolvers });
 *     const url = await gatehouse.listen();
 *
 * Test helpers are in `gatehouse/testing`.
 */
export { createGatehouse, type Gatehouse, type GatehouseOptions, runGatehouse } from './gatehouse';
export type { EventReader, EventSelect, EventView, GatehouseContext, GatehouseEvents, GatehouseUser } from './context';
export { type AuthContext, type CredentialKind, hasRole, organizationRoleOf, type Viewer } from './auth/viewer';
export { applyAuthDirectives, type ApplyAuthDirectivesOptions, AuthCoverageError } from './enforcement/apply-directives';
export { authDirectiveTypeDefs } from './enforcement/directive-sdl';
export type { OwnedObjectLoader } from './enforcement/ownership';
export {
  type BatchPolicy,
  type Policies,
  type Policy,
  type PolicyFunction,
  type PolicyInput,
  UnknownPolicyError,
} from './enforcement/policies';
export type { ApplicationMigrations } from './store/migrate';
export { type SubgraphOptions, SubgraphSchemaError } from './graphql/subgraph';
export { badUserInput, ErrorCode, forbidden, notFound, rateLimited, unauthenticated } from './graphql/errors';
export { ConfigError } from './config';
