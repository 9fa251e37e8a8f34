// Case 1: the cost of authorization on a big list, executed with graphql's `execute`.
// Floor (no authorization), gatehouse's applyAuthDirectives, and graphql-shield with the same rules.
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, type ExecutionResult, type GraphQLSchema, parse } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { and, rule, shield } from 'graphql-shield';
import { applyAuthDirectives } from '../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../src/enforcement/directive-sdl';
import { hasRole } from '../src/auth/viewer';
import type { Viewer } from '../src/auth/viewer';

export const ITEMS = 10_000;

const typeDefs = /* GraphQL */ `
  enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }
  type Query { items: [Item!]! @auth }
  type Item @auth {
    id: ID!
    name: String!
    count: Int!
    score: Float!
    secret: String @hasRole(role: USER)
  }
`;

const items = Array.from({ length: ITEMS }, (_, i) => ({ id: String(i), name: `item ${i}`, count: i, score: i / 3, secret: `s${i}` }));

function floorSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, typeDefs], resolvers: { Query: { items: () => items } } });
}

function shieldSchema(): GraphQLSchema {
  const isAuthenticated = rule({ cache: 'contextual' })((_parent, _args, context: { viewer: Viewer | null }) => context.viewer !== null);
  const isUser = rule({ cache: 'contextual' })((_parent, _args, context: { viewer: Viewer | null }) => hasRole(context.viewer, 'USER'));
  const permissions = shield(
    {
      Query: { items: isAuthenticated },
      Item: { '*': isAuthenticated, secret: and(isAuthenticated, isUser) },
    },
    { allowExternalErrors: true },
  );
  return applyMiddleware(floorSchema(), permissions);
}

export const variants = {
  floor: floorSchema(),
  gatehouse: applyAuthDirectives(floorSchema()),
  'graphql-shield': shieldSchema(),
} as const;

export type Variant = keyof typeof variants;

const document = parse('{ items { id name count score secret } }');
const viewer: Viewer = { id: 'bench', roles: ['USER'], via: 'jwt' };

/** Runs one execution and returns its time in milliseconds, after checking the answer is complete. */
export async function timeOnce(variant: Variant): Promise<number> {
  const started = process.hrtime.bigint();
  const result = (await execute({ schema: variants[variant], document, contextValue: { viewer } })) as ExecutionResult<{
    items: unknown[];
  }>;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.errors || result.data?.items.length !== ITEMS)
    throw new Error(`${variant}: incomplete result ${JSON.stringify(result.errors?.[0])}`);
  return elapsed;
}

/** Is the gatehouse variant still synchronous? (execute returns a plain object, not a promise) */
export function staysSynchronous(): boolean {
  return !(execute({ schema: variants.gatehouse, document, contextValue: { viewer } }) instanceof Promise);
}
