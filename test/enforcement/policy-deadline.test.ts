// A `@policy` that never settles denies once POLICY_TIMEOUT_MS has passed, over gatehouse's own HTTP
// server: FORBIDDEN ("it could not decide"), the failure logged with the request id, the other
// fields answered. Without the bound the request never got an answer.
import { randomBytes } from 'node:crypto';
import { createGatehouse, type Gatehouse } from '../../src/gatehouse';
import type { Policies } from '../../src/index';
import { type GqlResponse, readResponse } from '../helpers/http';

const typeDefs = /* GraphQL */ `
  type Box {
    id: ID!
    "A policy on each box that never answers, one at a time or as a batch."
    stuck: String @policy(policies: [["never"]])
    stuckInBatch: String @policy(policies: [["neverBatch"]])
    "A policy that answers in time, after a moment."
    slow: String @policy(policies: [["slowYes"]])
  }
  extend type Query {
    boxes: [Box!]! @public
    waiting: String @public @policy(policies: [["neverThenable"]])
    free: String @public
  }
`;

const never = () => new Promise<boolean>(() => {});
const policies: Policies = {
  never,
  neverBatch: { batch: never as never },
  // A thenable that is no Promise, and never calls back.
  // biome-ignore lint/suspicious/noThenProperty: the point is a thenable that is not a Promise
  neverThenable: () => ({ then() {} }) as unknown as Promise<boolean>,
  slowYes: () => new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 50)),
};

const resolvers = {
  Query: { boxes: () => [{ id: 'b1' }, { id: 'b2' }], waiting: () => 'never', free: () => 'free' },
  Box: { stuck: () => 'stuck', stuckInBatch: () => 'batch', slow: () => 'slow' },
};

describe('a policy that never settles, with POLICY_TIMEOUT_MS=300', () => {
  let gatehouse: Gatehouse;
  let url: string;
  const logged: string[] = [];
  let write: typeof process.stdout.write;

  beforeAll(async () => {
    gatehouse = await createGatehouse({
      typeDefs,
      resolvers,
      policies,
      env: {
        NODE_ENV: 'development',
        DATABASE_URL: 'file::memory:',
        JWT_SECRET: randomBytes(32).toString('base64url'),
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'error',
        POLICY_TIMEOUT_MS: '300',
      },
    });
    url = `${(await gatehouse.listen()).replace(/\/$/, '')}/graphql`;
    // gatehouse logs JSON lines to stdout (pino): kept to find the failure by its request id.
    write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
  });
  afterAll(async () => {
    process.stdout.write = write;
    await gatehouse?.close();
  });

  async function ask(query: string): Promise<GqlResponse> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
      // Without the bound no answer ever comes: fail here rather than at jest's timeout.
      signal: AbortSignal.timeout(5_000),
    });
    return readResponse(response);
  }

  it('denies an object field whose policy (plain or batch) never answers, and answers the rest', async () => {
    const started = Date.now();
    const response = await ask('{ free boxes { id stuck stuckInBatch slow } }');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(response.status).toBe(200);
    expect(response.body.data).toEqual({
      free: 'free',
      boxes: [
        { id: 'b1', stuck: null, stuckInBatch: null, slow: 'slow' },
        { id: 'b2', stuck: null, stuckInBatch: null, slow: 'slow' },
      ],
    });
    const denials = (response.body.errors ?? []).map((e) => [e.path?.join('.'), e.extensions?.['code'], e.message]);
    expect(denials).toHaveLength(4);
    for (const [, code, message] of denials) {
      expect(code).toBe('FORBIDDEN');
      expect(message).toMatch(/could not decide/);
    }
  });

  it('denies a root field whose thenable never calls back, and logs why with the request id', async () => {
    const response = await ask('{ free waiting }');
    expect(response.body.data).toEqual({ free: 'free', waiting: null });
    expect(response.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['waiting'], 'FORBIDDEN']]);
    const line = logged.find((l) => l.includes('neverThenable'));
    expect(line).toMatch(/did not settle within 300 ms \(POLICY_TIMEOUT_MS\)/);
    expect(JSON.parse(line ?? '{}').requestId).toEqual(expect.any(String));
  });
});
