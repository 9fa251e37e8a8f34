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

/** gatehouse's executable schema with every directive enforced. */
export function buildSchema(options: { strict?: boolean } = {}): GraphQLSchema {
  const schema = makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, ...loadTypeDefs()], resolvers });
  return applyAuthDirectives(schema, { strict: options.strict ?? true });
}
