/*
 * `gatehouse explain`: for one caller and one document, one line per selected field with the
 * server's own verdict (allow, deny with the rule, depends), without running anything; a document
 * that does not validate is reported, exit 1; wrong usage exits 2 with the usage.
 */
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/explain';

const NOTES = join('examples', 'notes', 'schema.graphql');

async function explain(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...parts) => void out.push(parts.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...parts) => void err.push(parts.join(' ')));
  try {
    const code = await main(argv);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const lines = (stdout: string) => stdout.split('\n').map((line) => line.replace(/ {2,}/g, ' | ').trim());

it('gives each selected field its verdict for the caller: allow, deny with the rule, depends on the object', async () => {
  const result = await explain('--schema', NOTES, '--as', 'USER', '{ me { id email apiKeys { id } } users { totalCount } }');
  expect(result.code).toBe(0);
  expect(lines(result.stdout)).toEqual([
    'me | Query.me | allow',
    'me.id | User.id | allow',
    'me.email | User.email | depends (ownership)',
    'me.apiKeys | User.apiKeys | deny (@hasRole(role: ADMIN) on User.apiKeys)',
    'me.apiKeys.id | ApiKey.id | allow',
    'users | Query.users | deny (@hasRole(role: ADMIN) on Query.users)',
    'users.totalCount | UserConnection.totalCount | allow',
  ]);
});

it('takes several roles, the credential kind and its scopes', async () => {
  const admin = await explain('--as', 'USER,ADMIN', '{ users { totalCount } }');
  expect(lines(admin.stdout)[0]).toBe('users | Query.users | allow');
  const key = await explain('--as', 'USER', '--via', 'api-key', 'mutation { createApiKey(name: "k") { secret } }');
  expect(lines(key.stdout)[0]).toBe(
    'createApiKey | Mutation.createApiKey | deny (@credentials(allow: [JWT, EXTERNAL]) on Mutation.createApiKey)',
  );
  const anonymous = await explain('--as', 'anonymous', '{ me { id } publicMessage }');
  expect(lines(anonymous.stdout)).toEqual([
    'me | Query.me | deny (@auth on Query.me)',
    'me.id | User.id | allow',
    'publicMessage | Query.publicMessage | allow',
  ]);
});

it('names what a report-only rule would deny beside the verdict', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'explain-'));
  const sdl = join(dir, 'trial.graphql');
  writeFileSync(sdl, 'extend type Query { trial: String @auth @reportOnly @hasRole(role: ADMIN) }');
  const result = await explain('--schema', sdl, '--as', 'USER', '{ trial }');
  expect(lines(result.stdout)).toEqual(['trial | Query.trial | allow; report only: would deny (@hasRole(role: ADMIN) on Query.trial)']);
});

it('reports a document that does not validate or parse (exit 1), and wrong usage (exit 2)', async () => {
  const invalid = await explain('--as', 'USER', '{ me { nope } }');
  expect(invalid).toEqual({ code: 1, stdout: '', stderr: expect.stringContaining('Cannot query field "nope" on type "User".') });
  expect((await explain('--as', 'USER', '{ me { ')).code).toBe(1);
  const unknownRole = await explain('--as', 'KING', '{ me { id } }');
  expect(unknownRole.code).toBe(2);
  expect(unknownRole.stderr).toContain('KING is not anonymous or a role of the Role enum');
  expect((await explain('{ me { id } }')).stderr).toContain('--as is required');
  const help = await explain('--help');
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: gatehouse explain');
});
