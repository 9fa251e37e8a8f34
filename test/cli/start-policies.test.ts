/*
 * `gatehouse start MODULE` takes the module's exported `policies` (issue 24, item 3): through the real
 * process, a policy the module exports decides its field (the refusal and its denial log line name
 * the rule), a root mutation's policy refuses before anything runs, and a module whose schema names a policy it does not export stops start-up naming it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { devVars, exitWithin, gatehouseStart, gql, registerProcessCleanup, spawnServer, startServer, tempDir } from '../helpers/process';
import { eventually } from '../helpers/ws';

registerProcessCleanup();

const moduleText = (policies: string) => `
let writes = 0;
exports.typeDefs = \`
  extend type Query {
    even(n: Int!): Int @public @policy(policies: [["number.even"]])
    writes: Int @public
  }
  extend type Mutation {
    writeEven(n: Int!): Int @public @policy(policies: [["number.even"]])
  }
\`;
exports.resolvers = {
  Query: { even: (_, args) => args.n, writes: () => writes },
  Mutation: { writeEven: (_, args) => { writes += 1; return args.n; } },
};
exports.policies = ${policies};
`;

const start = (policies: string) => {
  const dir = tempDir();
  const module = join(dir, 'application.js');
  writeFileSync(module, moduleText(policies));
  return { dir, command: gatehouseStart(module) };
};

it('serves the policies a module exports: the policy decides, and refuses a mutation before it runs', async () => {
  const { dir, command } = start('{ "number.even": ({ args }) => args.n % 2 === 0 }');
  const server = await startServer(devVars(dir, { LOG_LEVEL: 'info' }), command);
  expect((await gql(server.url, '{ even(n: 4) }')).body).toEqual({ data: { even: 4 } });
  const odd = await gql(server.url, '{ even(n: 3) }');
  expect(odd.body.errors?.map((e) => [e.path, e.extensions?.['code'], e.extensions?.['rule']])).toEqual([
    [['even'], 'UNAUTHENTICATED', '@policy(policies: [["number.even"]]) on Query.even'],
  ]);
  // The denial log line names the same rule, under the request's id.
  const requestId = odd.headers.get('x-request-id');
  await eventually(() => server.stdout().includes('"msg":"denied"'), 'the denial is logged');
  const logged = server
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line['msg'] === 'denied');
  expect(logged).toEqual([
    expect.objectContaining({
      requestId,
      coordinate: 'Query.even',
      code: 'UNAUTHENTICATED',
      rule: '@policy(policies: [["number.even"]]) on Query.even',
    }),
  ]);
  const refused = await gql(server.url, 'mutation { writeEven(n: 5) }');
  expect(refused.body.data ?? null).toBeNull();
  expect((await gql(server.url, '{ writes }')).body).toEqual({ data: { writes: 0 } });
  expect((await gql(server.url, 'mutation { writeEven(n: 6) }')).body).toEqual({ data: { writeEven: 6 } });
  expect((await gql(server.url, '{ writes }')).body).toEqual({ data: { writes: 1 } });
});

it('stops start-up when the module does not export a policy its schema names, naming it', async () => {
  const { dir, command } = start('{}');
  const running = spawnServer({ ...devVars(dir), HOST: '127.0.0.1', PORT: '0' }, command);
  const exit = await exitWithin(running, 20_000);
  expect(exit.code).not.toBe(0);
  expect(running.stderr() + running.stdout()).toContain('"number.even" (on Query.even)');
});
