// Case 1c: a tenant rule on every item of a big list, executed with graphql's `execute`. Floor (no
// authorization) against gatehouse's `@inOrganization` on the item type: every field of every item
// checks that the viewer is a member of the item's organization (the id is a property of the item:
// no query; the viewer's memberships are part of the viewer). Interleaved rounds; each execution's
// CPU time (process.cpuUsage: user + system, this process only) as well as its wall time.
// `npm run bench:organizations` runs this case alone.
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, type ExecutionResult, type GraphQLSchema, parse } from 'graphql';
import type { Viewer } from '../src/auth/viewer';
import { applyAuthDirectives } from '../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../src/enforcement/directive-sdl';

export const TENANT_ITEMS = 10_000;

const typeDefs = (rule: string) => /* GraphQL */ `
  enum Role { USER ADMIN @includes(roles: [USER]) }
  enum OrganizationRole { MEMBER ADMIN @includes(roles: [MEMBER]) OWNER @includes(roles: [ADMIN]) }
  type Query { items: [Item!]! @auth }
  type Item ${rule} {
    id: ID!
    name: String!
    count: Int!
    score: Float!
    secret: String
  }
`;

// A member of a few organizations, as a real caller is; every item is in one of them.
const organizations = ['org-a', 'org-b', 'org-c'];
const viewer: Viewer = {
  id: 'member-1',
  roles: ['USER'],
  via: 'jwt',
  organizations: { 'org-a': 'MEMBER', 'org-b': 'ADMIN', 'org-c': 'OWNER' },
};
const items = Array.from({ length: TENANT_ITEMS }, (_, i) => ({
  id: String(i),
  organizationId: organizations[i % organizations.length],
  name: `item ${i}`,
  count: i,
  score: i / 3,
  secret: `s${i}`,
}));

function schemaWith(rule: string): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: [authDirectiveTypeDefs, typeDefs(rule)], resolvers: { Query: { items: () => items } } });
}

export const organizationVariants = {
  floor: schemaWith(''),
  gatehouse: applyAuthDirectives(schemaWith('@inOrganization')),
} as const;

export type OrganizationVariant = keyof typeof organizationVariants;

const document = parse('{ items { id name count score secret } }');

/** Runs one execution; its wall and CPU time in milliseconds, after checking every item came back whole. */
export async function timeTenantOnce(variant: OrganizationVariant): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = (await execute({ schema: organizationVariants[variant], document, contextValue: { viewer } })) as ExecutionResult<{
    items: { secret: string | null }[];
  }>;
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const used = process.cpuUsage(cpu);
  if (result.errors || result.data?.items.length !== TENANT_ITEMS || result.data.items.some((item) => item.secret === null))
    throw new Error(`${variant}: incomplete result ${JSON.stringify(result.errors?.[0])}`);
  return { wallMs, cpuMs: (used.user + used.system) / 1e3 };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Floor and gatehouse interleaved: 5 warm-up pairs, then 21 rounds of 3 executions each. */
export async function organizationOverhead() {
  const pair: OrganizationVariant[] = ['floor', 'gatehouse'];
  for (let i = 0; i < 5; i++) for (const v of pair) await timeTenantOnce(v);
  const wall: Record<OrganizationVariant, number[]> = { floor: [], gatehouse: [] };
  const cpu: Record<OrganizationVariant, number[]> = { floor: [], gatehouse: [] };
  for (let round = 0; round < 21; round++)
    for (const v of pair)
      for (let k = 0; k < 3; k++) {
        const t = await timeTenantOnce(v);
        wall[v].push(t.wallMs);
        cpu[v].push(t.cpuMs);
      }
  const medianWallMs = { floor: median(wall.floor), gatehouse: median(wall.gatehouse) };
  const medianCpuMs = { floor: median(cpu.floor), gatehouse: median(cpu.gatehouse) };
  return {
    medianWallMs,
    medianCpuMs,
    wallOverFloor: medianWallMs.gatehouse / medianWallMs.floor,
    cpuOverFloor: medianCpuMs.gatehouse / medianCpuMs.floor,
  };
}

if (require.main === module) {
  void organizationOverhead().then((r) => {
    const ms = (n: number) => `${n.toFixed(1)} ms`;
    console.log(`1c. @inOrganization on the item type, execute() over ${TENANT_ITEMS} objects × 5 fields (medians, interleaved):`);
    console.log(
      `    CPU: floor ${ms(r.medianCpuMs.floor)}, gatehouse ${ms(r.medianCpuMs.gatehouse)}; wall: floor ${ms(r.medianWallMs.floor)}, gatehouse ${ms(r.medianWallMs.gatehouse)}`,
    );
    console.log(`    gatehouse / floor = ${r.cpuOverFloor.toFixed(3)} CPU, ${r.wallOverFloor.toFixed(3)} wall (target ≤ 1.10)`);
  });
}
