/**
 * gatehouse as a library: the directives, the viewer they read, and the pieces of the server.
 * Test helpers are in `gatehouse/testing`.
 */
export {
  applyAuthDirectives,
  type ApplyAuthDirectivesOptions,
  AuthCoverageError,
  authDirectiveTypeDefs,
  combineRequirements,
  type FieldRequirement,
  fieldRequirement,
  guardedRequirement,
  openRootFields,
  type RequirementSource,
} from './auth/directives';
export { type AuthContext, type CredentialKind, DEFAULT_ROLE_HIERARCHY, type RoleHierarchy, rolesOf, rolesSatisfy, type Viewer } from './auth/viewer';
export { type Config, ConfigError, loadConfig, parseConfig } from './config';
export { ErrorCode } from './errors';
export { type App, createApp } from './app';
export { createHttpServer, type HttpServer } from './http/server';
export { buildSchema } from './graphql/schema';
export type { GraphQLContext } from './graphql/context';
export { migrateToLatest, openStore, type Store } from './store/database';
