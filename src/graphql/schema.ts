import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { applyAuthDirectives, authDirectiveTypeDefs } from '../auth/directives';
import { resolvers } from './resolvers';

/** `schema/` at the package root: two levels up from both `src/graphql` and `dist/graphql`. */
export const SCHEMA_DIR = join(__dirname, '..', '..', 'schema');

/** The application SDL, one string per file in `schema/`, in name order. */
export function loadTypeDefs(dir: string = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}

/**
 * The schema as written, directives not yet enforced (the auth map reads this). With another
 * folder of SDL, no resolvers are attached.
 */
export function buildSourceSchema(dir: string = SCHEMA_DIR): GraphQLSchema {
  const typeDefs = [authDirectiveTypeDefs, ...loadTypeDefs(dir)];
  return dir === SCHEMA_DIR ? makeExecutableSchema({ typeDefs, resolvers }) : makeExecutableSchema({ typeDefs });
}

/** gatehouse's executable schema with every directive enforced. Strict (the default) refuses open root fields. */
export function buildSchema(options: { strict?: boolean } = {}): GraphQLSchema {
  return applyAuthDirectives(buildSourceSchema(), { strict: options.strict ?? true });
}
