// Case 1c: `@policy` on every item of a big list, and the Cedar adapter, executed with graphql's
// `execute` in this process (modelled on ownership.ts). CPU time per execution comes from
// process.cpuUsage (user + system, this process = the server), in interleaved rounds; medians.
// - 10,000 items × 5 fields: no rule (floor); a plain policy on the type (one call per item); a
//   `{ batch }` policy on the type (one call per request tick, reading a Set as a database would
//   answer one query for all ids). Target: batched ≤ 1.15 × floor.
// - Cedar: the cost of one engine decision (distinct resources, nothing cached) and of a cached
//   one; a 1,000-item list whose items share 4 (creator, status) pairs, first request (cold cache)
//   and later ones (warm), against the same list with no rule.
// `npm run bench:policies` runs it.
import { makeExecutableSchema } from '@graphql-tools/schema';
import { execute, type ExecutionResult, type GraphQLSchema, parse } from 'graphql';
import type { Viewer } from '../src/auth/viewer';
import { cedarPolicies } from '../src/cedar';
import { applyAuthDirectives } from '../src/enforcement/apply-directives';
import { authDirectiveTypeDefs } from '../src/enforcement/directive-sdl';
import type { Policies } from '../src/enforcement/policies';

export const POLICY_ITEMS = 10_000;
export const CEDAR_ITEMS = 1_000;

const typeDefs = (rule: string) => /* GraphQL */ `
  enum Role { USER ADMIN }
  enum OrganizationRole { MEMBER OWNER }
  type Query { items(n: Int!): [Item!]! @auth }
  type Item ${rule} { id: ID! name: String! count: Int! createdBy: String! status: String! }
`;

const viewer: Viewer = { id: 'u0', roles: ['USER'], via: 'jwt' };
// The 1,000-item Cedar list is read by an ADMIN, whom the policy lets see every item: the list comes
// back whole, as the floor's does. Read by \`viewer\`, most items are denied, and the first denied
// item's non-null field ends the execution (the list is null): that measured almost nothing, and
// read faster than the floor (before 2026-12-06 13:30 UTC).
const admin: Viewer = { id: 'u0', roles: ['ADMIN', 'USER'], via: 'jwt' };
const itemsOf = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: String(i),
    name: `item ${i}`,
    count: i,
    createdBy: `u${i % 2}`,
    status: i % 4 < 2 ? 'DRAFT' : 'SENT',
  }));
const bigList = itemsOf(POLICY_ITEMS);
const cedarList = itemsOf(CEDAR_ITEMS);
const listOf = (n: number) => (n === POLICY_ITEMS ? bigList : cedarList);

/** A "database" of the ids the viewer may see: every id (so every item comes back whole). */
const visible = new Set(bigList.map((item) => item.id));
let batchCalls = 0;
const policies: Policies = {
  'item.visible': ({ object }) => visible.has(object.id),
  'item.visible.batched': {
    batch: (inputs) => {
      batchCalls++;
      return inputs.map(({ object }) => visible.has(object.id));
    },
  },
};

function schemaWith(rule: string, withPolicies: Policies): GraphQLSchema {
  return applyAuthDirectives(
    makeExecutableSchema({
      typeDefs: [authDirectiveTypeDefs, typeDefs(rule)],
      resolvers: { Query: { items: (_: unknown, { n }: { n: number }) => listOf(n) } },
    }),
    { policies: withPolicies },
  );
}

const CEDAR_POLICY = `
permit (principal, action, resource is Item) when { resource.createdBy == principal.id && resource.status == "DRAFT" };
permit (principal in Role::"ADMIN", action, resource);
`;
const newCedar = () => cedarPolicies({ policies: CEDAR_POLICY, resources: { Item: { attributes: ['createdBy', 'status'] } } });

const variants = {
  floor: () => schemaWith('', {}),
  policy: () => schemaWith('@policy(policies: [["item.visible"]])', policies),
  batched: () => schemaWith('@policy(policies: [["item.visible.batched"]])', policies),
};
const schemas = { floor: variants.floor(), policy: variants.policy(), batched: variants.batched() };

const query = (n: number) => parse(`{ items(n: ${n}) { id name count createdBy status } }`);
const bigDocument = query(POLICY_ITEMS);
const cedarDocument = query(CEDAR_ITEMS);

/** CPU microseconds (user + system) of one execution; checks the answer is whole where it must be. */
async function cpuOf(schema: GraphQLSchema, document: ReturnType<typeof parse>, expectWhole: boolean, as = viewer): Promise<number> {
  const before = process.cpuUsage();
  const result = (await execute({ schema, document, contextValue: { viewer: as } })) as ExecutionResult<{ items: { id: string | null }[] }>;
  const used = process.cpuUsage(before);
  if (expectWhole && (result.errors || result.data?.items.some((item) => item.id === null)))
    throw new Error(`incomplete result: ${JSON.stringify(result.errors?.[0])}`);
  return used.user + used.system;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Floor, plain policy and batched policy interleaved: 25 rounds × 3 executions each after a warm-up,
 * the order reversed every other round. A ratio is read per round (the medians of its executions,
 * seconds apart) and the median of those ratios is reported: this VM's speed drifts within minutes,
 * and medians taken over the whole run read 1.07 and 1.20 in back-to-back runs of one build.
 */
export async function policyOverhead() {
  const names = ['floor', 'policy', 'batched'] as const;
  for (let i = 0; i < 3; i++) for (const v of names) await cpuOf(schemas[v], bigDocument, true);
  const times: Record<(typeof names)[number], number[]> = { floor: [], policy: [], batched: [] };
  const ratios = { policy: [] as number[], batched: [] as number[] };
  const rounds = 25;
  batchCalls = 0;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    const inRound: Partial<Record<(typeof names)[number], number>> = {};
    for (const v of order) {
      const three: number[] = [];
      for (let k = 0; k < 3; k++) three.push(await cpuOf(schemas[v], bigDocument, true));
      times[v].push(...three);
      inRound[v] = median(three);
    }
    ratios.policy.push(inRound.policy! / inRound.floor!);
    ratios.batched.push(inRound.batched! / inRound.floor!);
  }
  const cpuMs = { floor: median(times.floor) / 1000, policy: median(times.policy) / 1000, batched: median(times.batched) / 1000 };
  return {
    cpuMs,
    policyOverFloor: median(ratios.policy),
    batchedOverFloor: median(ratios.batched),
    batchCallsPerRequest: batchCalls / (rounds * 3),
  };
}

/** Cedar: per decision (engine, then cache) and per 1,000-item list (cold cache, warm cache) against the floor. */
export async function cedarCost() {
  // One engine decision: distinct resource ids, so nothing is cached.
  const perDecision = cedarPolicies({ policies: CEDAR_POLICY, resources: { Item: { id: 'id', attributes: ['createdBy', 'status'] } } });
  const batch = (perDecision.policies['cedar'] as { batch: (inputs: object[]) => readonly boolean[] }).batch;
  const inputs = (from: number) =>
    cedarList.map((object, i) => ({ viewer, object: { ...object, id: String(from + i) }, args: {}, context: {}, coordinate: 'Item.name' }));
  batch(inputs(-1000)); // warm-up
  const engine: number[] = [];
  const cached: number[] = [];
  for (let round = 0; round < 5; round++) {
    const fresh = inputs(round * CEDAR_ITEMS);
    let t = process.cpuUsage();
    batch(fresh);
    let used = process.cpuUsage(t);
    engine.push((used.user + used.system) / CEDAR_ITEMS);
    t = process.cpuUsage();
    batch(fresh);
    used = process.cpuUsage(t);
    cached.push((used.user + used.system) / CEDAR_ITEMS);
  }
  // A list of 1,000 with 4 distinct (creator, status) pairs. Every cold run needs a fresh adapter and
  // schema: all are built before the rounds, so that building them (and the garbage it leaves) is not
  // measured with whatever case runs next. Each case is warmed up on this list first, and the order
  // of the three rotates per round: the first to run after another's garbage does not always pay.
  const rounds = 15;
  const fresh = Array.from({ length: rounds + 3 }, () => {
    const adapter = newCedar();
    return { adapter, schema: schemaWith('@policy(policies: [["cedar"]])', adapter.policies) };
  });
  for (let i = 0; i < 3; i++) {
    await cpuOf(schemas.floor, cedarDocument, true, admin);
    await cpuOf(fresh[rounds + i]!.schema, cedarDocument, true, admin); // cold, then warm
    await cpuOf(fresh[rounds + i]!.schema, cedarDocument, true, admin);
  }
  const cold: number[] = [];
  const warm: number[] = [];
  const floor: number[] = [];
  let coldCalls = 0;
  for (let round = 0; round < rounds; round++) {
    const { adapter, schema } = fresh[round]!;
    const cases = [
      async () => floor.push(await cpuOf(schemas.floor, cedarDocument, true, admin)),
      async () => {
        cold.push(await cpuOf(schema, cedarDocument, true, admin));
        coldCalls = adapter.stats().engineCalls;
        warm.push(await cpuOf(schema, cedarDocument, true, admin)); // warm only after this adapter's cold run
      },
    ];
    for (const run of round % 2 === 0 ? cases : [...cases].reverse()) await run();
  }
  return {
    engineUsPerDecision: median(engine),
    cachedUsPerDecision: median(cached),
    list: { floorMs: median(floor) / 1000, coldMs: median(cold) / 1000, warmMs: median(warm) / 1000, engineCallsCold: coldCalls },
  };
}

if (require.main === module) {
  void (async () => {
    const when = new Date().toISOString();
    const p = await policyOverhead();
    const ms = (n: number) => `${n.toFixed(1)} ms`;
    console.log(`1c. @policy on every item, execute() over ${POLICY_ITEMS} objects × 5 fields, CPU per execution (medians, ${when}):`);
    console.log(`    floor ${ms(p.cpuMs.floor)}, plain policy ${ms(p.cpuMs.policy)}, batched policy ${ms(p.cpuMs.batched)}`);
    console.log(
      `    per-round ratios (median of 25): plain / floor = ${p.policyOverFloor.toFixed(3)}; batched / floor = ${p.batchedOverFloor.toFixed(3)} (target ≤ 1.15)`,
    );
    console.log(`    batch calls per request: ${p.batchCallsPerRequest}`);
    const c = await cedarCost();
    console.log(
      `1d. Cedar adapter: ${c.engineUsPerDecision.toFixed(0)} µs per engine decision, ${c.cachedUsPerDecision.toFixed(1)} µs per cached one`,
    );
    console.log(
      `    ${CEDAR_ITEMS}-item list: floor ${ms(c.list.floorMs)}, cold cache ${ms(c.list.coldMs)} (${c.list.engineCallsCold} engine calls), warm ${ms(c.list.warmMs)}`,
    );
  })();
}
