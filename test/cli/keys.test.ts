// `gatehouse keys`' arguments: a kid is a base64url thumbprint and may begin with '-', so only the
// known flags are options (a kid such as '-Ab…' was taken for an unknown option: exit 2, usage).
import { join } from 'node:path';
import { main } from '../../src/cli/keys';
import { tempDir } from '../helpers/process';

const saved = { ...process.env };
let stderr: string[];

beforeEach(() => {
  process.env['DATABASE_URL'] = `file:${join(tempDir(), 'keys.db')}`;
  process.env['JWT_ALGORITHM'] = 'ES256';
  stderr = [];
  jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void stderr.push(args.join(' ')));
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  process.env = { ...saved };
  jest.restoreAllMocks();
});

it('takes a kid that begins with "-" as the kid to retire, not as an option', async () => {
  expect(await main(['retire', '-Ab3xNoSuchKid'])).toBe(1);
  expect(stderr.join('\n')).toContain('no signing key -Ab3xNoSuchKid');
});

it('still refuses what it does not know: a flag of another command, or a second kid', async () => {
  expect(await main(['rotate', '--force'])).toBe(2);
  expect(await main(['retire', 'k1', 'k2'])).toBe(2);
  expect(await main(['list', '--publish-first'])).toBe(2);
});
