import { buildDemoSourceSchema } from '../helpers/demo';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildAuthMap } from '../../src/tools/auth-map';
import { formatAuthMapMarkdown } from '../../src/tools/auth-map-format';
import { AUTH_MAP_DOC, README_END, README_START } from '../../src/cli/auth-map';

const run = promisify(execFile);
const tsx = join('node_modules', '.bin', 'tsx');
const cli = join('src', 'cli', 'auth-map.ts');

async function authMap(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, [cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run auth:map', () => {
  it('--subgraph maps a subgraph: federation’s directive names as written, _service and _entities as federation’s', async () => {
    const app = join('test', 'helpers', 'subgraph-app.ts');
    const mapped = await authMap('--schema', app, '--subgraph', '--json');
    expect(mapped.code).toBe(0);
    const map = JSON.parse(mapped.stdout) as { openRootFields: string[]; entries: { coordinate: string; from: string }[] };
    expect(map.openRootFields).toEqual([]);
    expect(map.entries.find((e) => e.coordinate === 'Document.summary')?.from).toBe('@authenticated on field');
    expect(map.entries.find((e) => e.coordinate === 'Query._entities')?.from).toBe("federation: each entity's fields keep their own rules");
    const plain = await authMap('--schema', app, '--json');
    expect(plain.code).toBe(1);
    expect(plain.stderr).toMatch(/^auth-map: .*@authenticated/);
  }, 60_000);

  it('passes --check on gatehouse schema', async () => {
    const { code, stdout } = await authMap('--check');
    expect(code).toBe(0);
    expect(stdout).toContain('every root field declares who may call it');
  });

  it('--as prints the schema a caller sees: anonymous, a role, a credential kind and scopes', async () => {
    const notes = join('examples', 'notes', 'schema.graphql');
    const anonymous = await authMap('--schema', notes, '--as', 'anonymous');
    expect(anonymous.code).toBe(0);
    expect(anonymous.stdout).toMatch(/^type Query \{/m);
    expect(anonymous.stdout).not.toMatch(/^\s+(me|users|createNote)\(|^\s+me: /m);
    const user = await authMap('--schema', notes, '--as', 'USER');
    expect(user.stdout).toMatch(/^\s+me: User$/m);
    expect(user.stdout).toMatch(/^\s+createApiKey\(/m);
    expect(user.stdout).not.toMatch(/^\s+users\(/m);
    const admin = await authMap('--schema', notes, '--as', 'ADMIN');
    expect(admin.stdout).toMatch(/^\s+users\(/m);
    expect(admin.stdout).toMatch(/^type AuditEvent \{/m);
    const key = await authMap('--schema', notes, '--as', 'USER', '--via', 'api-key', '--scopes', '');
    expect(key.stdout).not.toMatch(/^\s+createApiKey\(|^\s+createNote\(/m);
    expect(key.stdout).toMatch(/^\s+myApiKeys: /m);
    const wrong = await authMap('--as', 'ROOT');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--as must be anonymous or roles of the Role enum');
  });

  it('fails --check naming each open root field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-sdl-'));
    writeFileSync(
      join(dir, 'a.graphql'),
      'extend type Query { ok: String @public leak: String scoped: String @requiresScopes(scopes: [["notes:read"]]) }\n' +
        'extend type Mutation { drop: Boolean }\ntype Subscription { tick: String }',
    );
    const { code, stderr } = await authMap('--check', '--schema', dir);
    expect(code).toBe(1);
    expect(stderr).toContain(
      '3 root field(s) have no @public, @auth, @hasRole, @requiresScopes, @credentials, @owner, @inOrganization or @policy:',
    );
    expect(stderr).toContain('Query.leak');
    expect(stderr).toContain('Mutation.drop');
    expect(stderr).toContain('Subscription.tick');
    expect(stderr).not.toContain('Query.ok');
    expect(stderr).not.toContain('Query.scoped');
  });

  it('prints JSON with every entry', async () => {
    const { code, stdout } = await authMap('--json');
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { entries: Array<{ coordinate: string; requires: string }> };
    expect(parsed.entries).toContainEqual(expect.objectContaining({ coordinate: 'Query.users', requires: 'role ADMIN' }));
    expect(parsed.entries).toContainEqual(expect.objectContaining({ coordinate: 'User.apiKeys', requires: 'role ADMIN' }));
  });

  it('refuses an unknown option', async () => {
    const { code, stderr } = await authMap('--jsn');
    expect(code).toBe(2);
    expect(stderr).toContain('unknown option --jsn');
  });
});

describe('docs/protecting-fields.md', () => {
  it('shows the auth map generated from the current schema', () => {
    const readme = readFileSync(AUTH_MAP_DOC, 'utf8');
    const section = readme.slice(readme.indexOf(README_START) + README_START.length + 1, readme.indexOf(README_END));
    expect(section).toBe(formatAuthMapMarkdown(buildAuthMap(buildDemoSourceSchema())));
  });
});

describe('auth-map --schema with an application SDL', () => {
  it('maps the application fields beside the account schema', async () => {
    const { code, stdout } = await authMap('--json', '--schema', join('examples', 'notes', 'schema.graphql'));
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { entries: Array<{ coordinate: string; requires: string }> };
    expect(parsed.entries).toContainEqual(
      expect.objectContaining({ coordinate: 'Mutation.createNote', requires: 'signed in + scopes notes:write', scopes: [['notes:write']] }),
    );
    expect(parsed.entries).toContainEqual(expect.objectContaining({ coordinate: 'Query.users', requires: 'role ADMIN' }));
  });

  it('names a missing schema file in one line', async () => {
    const { code, stderr } = await authMap('--check', '--schema', 'no/such/file.graphql');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^auth-map: .*no\/such\/file\.graphql/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('auth-map --diff', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-diff-'));
  const sdl = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const adminOnly = sdl('admin-only.graphql', 'extend type Query { report: String @hasRole(role: ADMIN) }');
  const signedIn = sdl('signed-in.graphql', 'extend type Query { report: String @auth }');

  async function savedMap(schema: string): Promise<string> {
    const { code, stdout } = await authMap('--json', '--schema', schema);
    expect(code).toBe(0);
    return sdl(`before-${Math.random()}.json`, stdout);
  }

  it('exits 1 naming the callers who gain access, and 0 with --allow-widening', async () => {
    const file = await savedMap(adminOnly);
    const widened = await authMap('--schema', signedIn, '--diff', file);
    expect(widened.code).toBe(1);
    expect(widened.stdout).toContain('**This change widens access.**');
    expect(widened.stdout).toContain('| `Query.report` | USER | the field |  | role ADMIN → signed in |');
    expect(widened.stdout.match(/^\| `/gm)).toHaveLength(1);
    expect(widened.stderr).toContain('--allow-widening');
    const allowed = await authMap('--schema', signedIn, '--diff', file, '--allow-widening');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toBe(widened.stdout);
  });

  it('exits 0 when callers only lose access, and prints the diff as JSON with --json', async () => {
    const narrowed = await authMap('--schema', adminOnly, '--diff', await savedMap(signedIn), '--json');
    expect(narrowed.code).toBe(0);
    expect(JSON.parse(narrowed.stdout)).toEqual({
      widens: false,
      reportOnly: [],
      fields: [
        {
          coordinate: 'Query.report',
          before: 'signed in',
          after: 'role ADMIN',
          callers: [{ caller: 'USER', changes: [{ direction: 'loses', what: 'the field' }] }],
        },
      ],
    });
  });

  it('refuses a file that is not an auth map with exit 2 and one line', async () => {
    for (const [file, why] of [
      [sdl('data.json', '{"data": {"me": null}}'), 'no "entries" list'],
      [adminOnly, 'not JSON'],
      [join(dir, 'missing.json'), 'cannot read'],
    ] as const) {
      const { code, stdout, stderr } = await authMap('--schema', signedIn, '--diff', file);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain(why);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('auth-map for a reviewer of an application', () => {
  it('reads --schema from a compiled module exporting typeDefs, as gatehouse start does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-module-'));
    const module = join(dir, 'schema.js');
    writeFileSync(module, 'exports.typeDefs = "extend type Query { secret: String @hasRole(role: ADMIN) }";\nexports.resolvers = {};\n');
    const { code, stdout } = await authMap('--json', '--schema', module);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).entries).toContainEqual(expect.objectContaining({ coordinate: 'Query.secret', reachableBy: ['ADMIN'] }));
  });

  it("refuses --update-readme for any schema but gatehouse's demo, writing nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-app-'));
    writeFileSync(join(dir, 'app.graphql'), 'extend type Query { mine: String @public }');
    const guide = readFileSync(AUTH_MAP_DOC, 'utf8');
    const { code, stderr } = await authMap('--update-readme', '--schema', join(dir, 'app.graphql'));
    expect(code).toBe(2);
    expect(stderr).toContain('--markdown > FILE');
    expect(readFileSync(AUTH_MAP_DOC, 'utf8')).toBe(guide);
  });

  it('fits the text map in 100 columns and says each kind of warning once, with a count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-wide-'));
    const fields = Array.from({ length: 12 }, (_, i) => `field${i}: String!`).join(' ');
    writeFileSync(join(dir, 'app.graphql'), `type Account @auth { ${fields} } extend type Query { account: Account @auth }`);
    const { code, stdout } = await authMap('--schema', join(dir, 'app.graphql'));
    expect(code).toBe(0);
    expect(Math.max(...stdout.split('\n').map((line) => line.length))).toBeLessThanOrEqual(100);
    const warnings = stdout.slice(stdout.indexOf('Warnings'));
    expect(warnings.split('\n')).toEqual([
      // Query.myOrganizations is gatehouse's own: the contract makes it [Organization!]! @auth.
      'Warnings (13; --json lists each):',
      '- 13 field(s) protected but non-null (a denied read nulls the parent too; make them nullable):',
      '  Query.myOrganizations, Account.field0, Account.field1 and 10 more',
      '',
    ]);
  });
});
