// Case 1b: an ownership rule on every item of a big list, executed with graphql's `execute`.
// Floor (no authorization), gatehouse's @owner (the owner's id is on each item: no query), and
// graphql-shield with the same rule. `npm run bench:ownership` runs this case alone.
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, type ExecutionResult, type GraphQLSchema, parse } from 'graphql';
import { applyMiddleware } from 'graphql-middleware';
import { rule, shield } from 'graphql-shield';
import { hasRole } from '../src/auth/viewer';
import type { Viewer } from '../src/auth/viewer';
import { applyAuthDirectives } from '../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../src/enforcement/directive-sdl';

export const OWNED_ITEMS = 10_000;

const typeDefs = /* GraphQL */ `
  enum Role { USER ADMIN } enum OrganizationRole { MEMBER OWNER }
  type Query { items: [Item!]! @auth }
  type Item {
    id: ID!
    name: String!
    count: Int!
    score: Float!
    secret: String @owner(field: "ownerId", orRole: ADMIN)
  }
`;

const viewer: Viewer = { id: 'owner-1', roles: ['USER'], via: 'jwt' };
// Every item is the viewer's own ("my items"): the rule runs and passes on each one.
const items = Array.from({ length: OWNED_ITEMS }, (_, i) => ({
  id: String(i),
  ownerId: viewer.id,
  name: `item ${i}`,
  count: i,
  score: i / 3,
  secret: `s${i}`,
}));

function floorSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, typeDefs], resolvers: { Query: { items: () => items } } });
}

function shieldSchema(): GraphQLSchema {
  const isAuthenticated = rule({ cache: 'contextual' })((_parent, _args, context: { viewer: Viewer | null }) => context.viewer !== null);
  // The owner differs per item, so the rule cannot be cached per request ('strict' caches per parent).
  const isOwnerOrAdmin = rule({ cache: 'no_cache' })(
    (parent: { ownerId: string }, _args, context: { viewer: Viewer | null }) =>
      context.viewer !== null && (parent.ownerId === context.viewer.id || hasRole(context.viewer, 'ADMIN')),
  );
  const permissions = shield({ Query: { items: isAuthenticated }, Item: { secret: isOwnerOrAdmin } }, { allowExternalErrors: true });
  return applyMiddleware(floorSchema(), permissions);
}

export const ownershipVariants = {
  floor: floorSchema(),
  gatehouse: applyAuthDirectives(floorSchema()),
  'graphql-shield': shieldSchema(),
} as const;

export type OwnershipVariant = keyof typeof ownershipVariants;

const document = parse('{ items { id name count score secret } }');

/** Runs one execution and returns its time in milliseconds, after checking every item's secret came back. */
export async function timeOwnedOnce(variant: OwnershipVariant): Promise<number> {
  const started = process.hrtime.bigint();
  const result = (await execute({ schema: ownershipVariants[variant], document, contextValue: { viewer } })) as ExecutionResult<{
    items: { secret: string | null }[];
  }>;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.errors || result.data?.items.length !== OWNED_ITEMS || result.data.items.some((item) => item.secret === null))
    throw new Error(`${variant}: incomplete result ${JSON.stringify(result.errors?.[0])}`);
  return elapsed;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Floor and gatehouse interleaved (15 rounds × 3), then shield against gatehouse interleaved (10 rounds), as case 1 does. */
export async function ownershipOverhead() {
  const pair: OwnershipVariant[] = ['floor', 'gatehouse'];
  for (let i = 0; i < 5; i++) for (const v of pair) await timeOwnedOnce(v);
  const times: Record<OwnershipVariant, number[]> = { floor: [], gatehouse: [], 'graphql-shield': [] };
  for (let round = 0; round < 15; round++) for (const v of pair) for (let k = 0; k < 3; k++) times[v].push(await timeOwnedOnce(v));
  const versus: number[] = [];
  for (let i = 0; i < 3; i++) await timeOwnedOnce('graphql-shield');
  for (let round = 0; round < 10; round++) {
    times['graphql-shield'].push(await timeOwnedOnce('graphql-shield'));
    versus.push(await timeOwnedOnce('gatehouse'));
  }
  const medianMs = { floor: median(times.floor), gatehouse: median(times.gatehouse), 'graphql-shield': median(times['graphql-shield']) };
  return {
    medianMs,
    gatehouseOverFloor: medianMs.gatehouse / medianMs.floor,
    shieldOverFloor: medianMs['graphql-shield'] / medianMs.floor,
    shieldOverGatehouse: medianMs['graphql-shield'] / median(versus),
  };
}

if (require.main === module) {
  void ownershipOverhead().then((r) => {
    const ms = (n: number) => `${n.toFixed(1)} ms`;
    console.log(`1b. ownership rule on every item, execute() over ${OWNED_ITEMS} objects × 5 fields (medians):`);
    console.log(
      `    floor ${ms(r.medianMs.floor)}, gatehouse ${ms(r.medianMs.gatehouse)}, graphql-shield ${ms(r.medianMs['graphql-shield'])}`,
    );
    console.log(`    gatehouse / floor = ${r.gatehouseOverFloor.toFixed(3)} (target ≤ 1.10)`);
    console.log(
      `    graphql-shield / floor = ${r.shieldOverFloor.toFixed(2)}; graphql-shield / gatehouse (interleaved) = ${r.shieldOverGatehouse.toFixed(2)}`,
    );
  });
}
