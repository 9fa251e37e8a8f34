import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs scripts/check-layers.mjs, as `npm run lint` does, on a tree of the given files. */
async function checkTree(files: Readonly<Record<string, string>>): Promise<{ code: number; output: string }> {
  const root = mkdtempSync(join(tmpdir(), 'layers-'));
  try {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    const { stdout, stderr } = await run('node', ['scripts/check-layers.mjs', root]);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A tree whose imports all go down or across. */
const sound: Readonly<Record<string, string>> = {
  'src/errors.ts': 'export class NotFound extends Error {}\n',
  'src/auth/viewer.ts': "import type { NotFound } from '../errors';\nexport type Viewer = { id: string };\n",
  'src/store/failures.ts': 'export const isUnreachable = (e: unknown) => e !== e;\nexport const isUniqueViolation = isUnreachable;\n',
  'src/store/users.ts': "import { isUniqueViolation } from './failures';\n",
  'src/enforcement/denials.ts': "import { NotFound } from '../errors';\n",
  'src/enforcement/checks.ts': "import type { Viewer } from '../auth/viewer';\nimport { forbidden } from './denials';\n",
  'src/services/users.ts': "import type { App } from '../app';\nimport { isUniqueViolation } from '../store/failures';\n",
  'src/app.ts': "import type { Viewer } from './auth/viewer';\n",
  'src/graphql/errors.ts':
    "import {\n  forbidden,\n  unauthenticated,\n} from '../enforcement/denials';\nimport { isUnreachable } from '../store/failures';\n",
  'src/http/route.ts': "import { isUnreachable } from '../store/failures';\nimport { x } from '../graphql/errors';\n",
  'src/subscriptions/transport.ts': "import { GRAPHQL_PATH } from '../http/route';\n",
  'src/gatehouse.ts': "import './http/route';\nexport { forbidden } from './graphql/errors';\n",
  'src/graphql/generated/resolvers-types.ts': 'export type A = 1;\n'.repeat(500),
};

describe('the layer check (scripts/check-layers.mjs, run by npm run lint)', () => {
  it('passes a tree whose imports go down or across, generated files of any length included', async () => {
    const { code, output } = await checkTree(sound);
    expect(output).toContain('every import goes down or across');
    expect(code).toBe(0);
  });

  it.each([
    [
      'enforcement imports the edge',
      'src/enforcement/checks.ts',
      "import { forbidden } from '../graphql/errors';\n",
      'src/enforcement/checks.ts:1 (enforcement) imports src/graphql/errors.ts (graphql)',
    ],
    [
      'the store imports app (a type is a dependency too)',
      'src/store/users.ts',
      "\nimport type { App } from '../app';\n",
      'src/store/users.ts:2 (store) imports src/app.ts (app)',
    ],
    [
      'auth imports http',
      'src/auth/viewer.ts',
      "import { x } from '../http/route';\n",
      'src/auth/viewer.ts:1 (credentials) imports src/http/route.ts (edge)',
    ],
    [
      'services import subscriptions',
      'src/services/users.ts',
      "import { y } from '../subscriptions/transport';\n",
      '(services) imports src/subscriptions/transport.ts (edge)',
    ],
    [
      'enforcement tells an outage apart',
      'src/enforcement/checks.ts',
      "import { isUnreachable } from '../store/failures';\n",
      'src/enforcement/checks.ts:1 (enforcement) imports isUnreachable',
    ],
    [
      'an inline type import runs up',
      'src/store/users.ts',
      "type A = import('../services/users').X;\n",
      'src/store/users.ts:1 (store) imports src/services/users.ts (services)',
    ],
    ['a file belongs to no layer', 'src/somewhere/new.ts', 'export const a = 1;\n', 'src/somewhere/new.ts:1 belongs to no layer'],
    [
      'a source file is over 400 lines',
      'src/services/big.ts',
      'export const a = 1;\n'.repeat(401),
      'src/services/big.ts:1 has 401 lines; the limit is 400',
    ],
  ])('refuses a tree where %s, naming the file and line', async (_case, path, text, expected) => {
    const { code, output } = await checkTree({ ...sound, [path]: text });
    expect(output).toContain(expected);
    expect(code).toBe(1);
  });
});
