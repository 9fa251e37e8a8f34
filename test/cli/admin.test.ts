import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { authenticateCaller as authenticate } from '../../src/services/authentication';
import { rolesOfSchema, runCommand } from '../../src/cli/admin';
import { createDemoKit } from '../helpers/demo';
import { createTestKit, type TestKit } from '../../src/testkit';
import { storedRoles } from '../helpers/store';

const noStdin = () => '';

describe('admin CLI commands', () => {
  let kit: TestKit;
  beforeEach(async () => {
    kit = await createTestKit();
  });
  afterEach(() => kit.close());

  const rolesOf = async (email: string) => storedRoles(kit.store.db, (await userRow(email))?.id ?? '');
  const userRow = (email: string) => kit.store.db.selectFrom('users').selectAll().where('email_normalized', '=', email).executeTakeFirst();

  it('creates a user with a password read from stdin, and refuses a duplicate', async () => {
    const out = await runCommand(
      kit.app,
      ['create-user', '--email', 'Ops@Example.com', '--role', 'ADMIN', '--password-stdin'],
      () => 'long enough password\n',
    );
    expect(out).toMatch(/^created \S+ {2}Ops@Example\.com {2}ADMIN$/);
    const login = await kit.execute('mutation { login(email: "ops@example.com", password: "long enough password") { user { role } } }');
    expect(login.data).toEqual({ login: { user: { role: 'ADMIN' } } });
    await expect(
      runCommand(kit.app, ['create-user', '--email', 'ops@EXAMPLE.com', '--password', 'another password'], noStdin),
    ).rejects.toThrow(/already exists/);
  });

  it('sets roles but never demotes or disables the last active ADMIN', async () => {
    await runCommand(kit.app, ['create-user', '--email', 'a@example.com', '--role', 'ADMIN', '--password', 'password one'], noStdin);
    await expect(runCommand(kit.app, ['set-role', '--email', 'a@example.com', '--role', 'USER'], noStdin)).rejects.toThrow(/last ADMIN/);
    await expect(runCommand(kit.app, ['disable', '--email', 'a@example.com'], noStdin)).rejects.toThrow(/last active ADMIN/);
    expect(await userRow('a@example.com')).toMatchObject({ disabled_at: null });
    expect(await rolesOf('a@example.com')).toEqual(['ADMIN']);

    await runCommand(kit.app, ['create-user', '--email', 'b@example.com', '--password', 'password two'], noStdin);
    await runCommand(kit.app, ['set-role', '--email', 'b@example.com', '--role', 'ADMIN'], noStdin);
    await runCommand(kit.app, ['set-role', '--email', 'a@example.com', '--role', 'USER'], noStdin);
    expect(await rolesOf('a@example.com')).toEqual(['USER']);
  });

  it("grants and revokes the application's own roles (read with --schema), refusing the last role and unknown ones", async () => {
    const demo = await createDemoKit();
    try {
      await runCommand(demo.app, ['create-user', '--email', 'mod@example.com', '--password', 'password one'], noStdin);
      const granted = await runCommand(demo.app, ['grant-role', '--email', 'mod@example.com', '--role', 'MODERATOR'], noStdin);
      expect(granted).toMatch(/^updated \S+ {2}mod@example\.com {2}MODERATOR,USER$/);
      const revoked = await runCommand(demo.app, ['revoke-role', '--email', 'mod@example.com', '--role', 'USER'], noStdin);
      expect(revoked).toMatch(/ {2}MODERATOR$/);
      await expect(runCommand(demo.app, ['revoke-role', '--email', 'mod@example.com', '--role', 'MODERATOR'], noStdin)).rejects.toThrow(
        /only role the user holds/,
      );
      await expect(runCommand(demo.app, ['grant-role', '--email', 'mod@example.com', '--role', 'ACCOUNTANT'], noStdin)).rejects.toThrow(
        '--role must be one of USER, MODERATOR, ADMIN',
      );
      const audited = await demo.store.db
        .selectFrom('audit_events')
        .select(['action', 'detail'])
        .where('action', 'like', 'user.role_%')
        .execute();
      expect(audited).toEqual([
        { action: 'user.role_granted', detail: JSON.stringify({ role: 'MODERATOR', roles: 'MODERATOR,USER' }) },
        { action: 'user.role_revoked', detail: JSON.stringify({ role: 'USER', roles: 'MODERATOR' }) },
      ]);
    } finally {
      await demo.close();
    }
    // Without --schema the command knows gatehouse's default roles only; with it, the application's.
    expect((await rolesOfSchema([])).roles).toEqual(['USER', 'ADMIN']);
    expect((await rolesOfSchema([join('examples', 'notes', 'index.ts')])).roles).toEqual(['USER', 'MODERATOR', 'ADMIN']);
  });

  it('disables a user so that their token and key stop working, and enables them again', async () => {
    const alice = await kit.createUser({ email: 'alice@example.com' });
    const key = await kit.createApiKey(alice);
    await runCommand(kit.app, ['disable', '--email', 'alice@example.com'], noStdin);
    expect(await authenticate(kit.app, { kind: 'jwt', token: alice.accessToken })).toEqual({ ok: false, problem: 'invalid_token' });
    expect(await authenticate(kit.app, { kind: 'api-key', key: key.secret })).toEqual({ ok: false, problem: 'invalid_api_key' });
    await runCommand(kit.app, ['enable', '--email', 'alice@example.com'], noStdin);
    expect(await authenticate(kit.app, { kind: 'jwt', token: alice.accessToken })).toMatchObject({
      ok: true,
      viewer: { id: alice.user.id },
    });
  });

  it('ends every session of a user: their access tokens stop working, their API keys do not', async () => {
    const carol = await kit.createUser({ email: 'carol@example.com' });
    const key = await kit.createApiKey(carol);
    const login = await kit.execute<{ login: { accessToken: string } }>(
      'mutation { login(email: "carol@example.com", password: "%s") { accessToken } }'.replace('%s', carol.password),
    );
    const sessionToken = login.data?.login.accessToken as string;
    expect(await authenticate(kit.app, { kind: 'jwt', token: sessionToken })).toMatchObject({ ok: true });

    expect(await runCommand(kit.app, ['end-sessions', '--email', 'carol@example.com'], noStdin)).toMatch(
      /^ended every session of \S+ {2}carol@example\.com/,
    );
    expect(await authenticate(kit.app, { kind: 'jwt', token: sessionToken })).toEqual({ ok: false, problem: 'invalid_token' });
    expect(await authenticate(kit.app, { kind: 'jwt', token: carol.accessToken })).toEqual({ ok: false, problem: 'invalid_token' });
    expect(await authenticate(kit.app, { kind: 'api-key', key: key.secret })).toMatchObject({ ok: true });
    const events = await kit.store.db
      .selectFrom('audit_events')
      .select(['action', 'address', 'source'])
      .where('action', '=', 'user.sessions_ended')
      .execute();
    expect(events).toEqual([{ action: 'user.sessions_ended', address: null, source: 'cli' }]);
  });

  it('issues a key that works, lists it without the secret, and revokes it', async () => {
    const bob = await kit.createUser({ email: 'bob@example.com' });
    const issued = await runCommand(
      kit.app,
      ['issue-key', '--email', 'bob@example.com', '--name', 'deploy', '--expires-in-days', '30'],
      noStdin,
    );
    const secret = issued.split('\n')[1] as string;
    expect(secret).toMatch(/^gth_[0-9A-Za-z]{49}$/);
    expect(await authenticate(kit.app, { kind: 'api-key', key: secret })).toMatchObject({
      ok: true,
      viewer: { id: bob.user.id, via: 'api-key' },
    });

    const listed = await runCommand(kit.app, ['list-keys', '--email', 'bob@example.com'], noStdin);
    expect(listed).toContain('deploy');
    expect(listed).not.toContain(secret);

    const keyId = /^key (\S+)/.exec(issued)?.[1] as string;
    expect(await runCommand(kit.app, ['revoke-key', '--id', keyId], noStdin)).toMatch(/^revoked /);
    expect(await authenticate(kit.app, { kind: 'api-key', key: secret })).toEqual({ ok: false, problem: 'invalid_api_key' });
  });

  it('issues a key with exactly the scopes asked for (named by the schema), and rotates it with a grace period', async () => {
    const carol = await kit.createUser({ email: 'carol@example.com' });
    const schema = ['--schema', 'examples/notes/schema.graphql'];
    const issued = await runCommand(
      kit.app,
      ['issue-key', '--email', 'carol@example.com', '--name', 'ci', '--scopes', 'notes:write', ...schema, '--expires-in-days', '7'],
      noStdin,
    );
    expect(issued).toMatch(/^key \S+ for carol@example\.com, scopes notes:write \(expires \S+\)\. It is shown once/);
    const secret = issued.split('\n')[1] as string;
    expect(await authenticate(kit.app, { kind: 'api-key', key: secret })).toMatchObject({
      ok: true,
      viewer: { id: carol.user.id, via: 'api-key', scopes: ['notes:write'] },
    });
    await expect(
      runCommand(kit.app, ['issue-key', '--email', 'carol@example.com', '--name', 'x', '--scopes', 'notes:wrte', ...schema], noStdin),
    ).rejects.toThrow('Unknown scope(s) "notes:wrte"; the scopes this API knows are: notes:write.');
    await expect(
      runCommand(kit.app, ['issue-key', '--email', 'carol@example.com', '--name', 'x', '--scopes', 'a,,b'], noStdin),
    ).rejects.toThrow('--scopes is a comma-separated list');

    const keyId = /^key (\S+)/.exec(issued)?.[1] as string;
    const rotated = await runCommand(kit.app, ['rotate-key', '--id', keyId, '--grace-seconds', '60'], noStdin);
    expect(rotated).toMatch(
      new RegExp(`^rotated ${keyId} \\(now gth_\\S+…\\); the old secret works until \\S+\\. The new one is shown once`),
    );
    const next = rotated.split('\n')[1] as string;
    expect(next).toMatch(/^gth_[0-9A-Za-z]{49}$/);
    for (const key of [secret, next]) {
      expect(await authenticate(kit.app, { kind: 'api-key', key })).toMatchObject({ ok: true, viewer: { scopes: ['notes:write'] } });
    }
    await expect(runCommand(kit.app, ['rotate-key', '--id', keyId, '--grace-seconds', '-5'], noStdin)).rejects.toThrow();
    const actions = await kit.store.db.selectFrom('audit_events').select('action').where('action', '=', 'api_key.rotated').execute();
    expect(actions).toHaveLength(1);
  });

  it('records what it did in the audit log, with source cli and no address', async () => {
    await runCommand(kit.app, ['create-user', '--email', 'c@example.com', '--password', 'password three'], noStdin);
    const events = await kit.store.db.selectFrom('audit_events').select(['action', 'address', 'source', 'actor_id']).execute();
    expect(events).toEqual([{ action: 'user.created', address: null, source: 'cli', actor_id: null }]);
  });

  it('prints stored emails and key names with control characters, escapes and bidi overrides escaped (rows from before the input rules)', async () => {
    const hostileEmail = 'eve\u001b[2J\u001b[31m@example.com\nforged-id  root@example.com  ADMIN';
    const hostileKey = 'deploy\r\u001b]0;pwned\u0007\u202egpj.exe\\n';
    // Written straight to the database, as a value stored before validation refused it would be.
    const eve = await kit.createUser({ email: 'eve@example.com' });
    await kit.store.db.updateTable('users').set({ email: hostileEmail }).where('id', '=', eve.user.id).execute();
    await kit.createApiKey(eve);
    await kit.store.db.updateTable('api_keys').set({ name: hostileKey }).where('user_id', '=', eve.user.id).execute();

    const users = await runCommand(kit.app, ['list-users'], noStdin);
    const keys = await runCommand(kit.app, ['list-keys', '--email', 'eve@example.com'], noStdin);
    for (const out of [users, keys]) {
      expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u);
    }
    expect(users.split('\n')).toHaveLength(2); // the count line and one user: no forged line
    expect(users).toContain('eve\\x1b[2J\\x1b[31m@example.com\\nforged-id  root@example.com  ADMIN  USER');
    expect(keys.split('\n')).toHaveLength(1);
    expect(keys).toContain('deploy\\r\\x1b]0;pwned\\x07\\u202egpj.exe\\\\n');
  });

  it('audits a disable as user.disabled and an enable as user.enabled, each naming the user', async () => {
    const dan = await kit.createUser({ email: 'dan@example.com' });
    await runCommand(kit.app, ['disable', '--email', 'dan@example.com'], noStdin);
    await runCommand(kit.app, ['enable', '--email', 'dan@example.com'], noStdin);
    const events = await kit.store.db
      .selectFrom('audit_events')
      .select(['action', 'subject_id'])
      .where('action', 'in', ['user.disabled', 'user.enabled'])
      .orderBy('id') // ids are UUIDv7: creation order
      .execute();
    expect(events).toEqual([
      { action: 'user.disabled', subject_id: dan.user.id },
      { action: 'user.enabled', subject_id: dan.user.id },
    ]);
  });

  it('explains unknown users, commands and bad values', async () => {
    await expect(runCommand(kit.app, ['set-role', '--email', 'nobody@example.com', '--role', 'ADMIN'], noStdin)).rejects.toThrow(
      'No user with email nobody@example.com.',
    );
    await expect(runCommand(kit.app, ['set-role', '--email', 'x@example.com', '--role', 'ROOT'], noStdin)).rejects.toThrow(
      '--role must be one of USER, ADMIN (enum Role; --schema PATH reads your application',
    );
    await expect(runCommand(kit.app, ['frobnicate'], noStdin)).rejects.toThrow('unknown command "frobnicate"');
    await expect(runCommand(kit.app, ['create-user', '--email', 'bad', '--password', 'password four'], noStdin)).rejects.toThrow(
      'Enter a valid email address.',
    );
  });
});

describe('admin CLI process', () => {
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-admin-'));
  const env = { ...process.env, DATABASE_URL: `file:${join(dir, 'g.db')}`, DATA_DIR: dir, NODE_ENV: 'development', JWT_SECRET: '' };
  const admin = (...args: string[]) => run(join('node_modules', '.bin', 'tsx'), [join('src', 'cli', 'admin.ts'), ...args], { env });

  it('prints help, and exits 2 on a usage mistake', async () => {
    expect((await admin('--help')).stdout).toContain('Usage: gatehouse admin <command>');
    await expect(admin('set-role', '--bogus')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("Unknown option '--bogus'"),
    });
  });

  it('exits 1 with a clear message when the command fails', async () => {
    await expect(admin('disable', '--email', 'ghost@example.com')).rejects.toMatchObject({
      code: 1,
      stderr: 'admin: No user with email ghost@example.com.\n',
    });
  });
});
