import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitWithin, freePort, registerProcessCleanup, ROOT, spawnServer, tempDir } from './helpers/process';

registerProcessCleanup();

/**
 * An application's own server script, as a user writes it from the guide: gatehouse imported by
 * path (the package entry), an SDL and resolvers of its own, `body` deciding how it starts.
 */
function applicationScript(dir: string, body: string): string {
  const path = join(dir, 'server.mts');
  writeFileSync(
    path,
    [
      `import { createGatehouse, runGatehouse } from ${JSON.stringify(join(ROOT, 'src', 'index.ts'))};`,
      "const typeDefs = 'extend type Query { hello: String! @public }';",
      "const resolvers = { Query: { hello: () => 'hello' } };",
      body,
    ].join('\n'),
  );
  return path;
}

/** Runs `script` in production with no JWT_SECRET and waits for it to exit. */
async function startWithoutSecret(dir: string, script: string) {
  const running = spawnServer(
    {
      NODE_ENV: 'production',
      DATABASE_URL: `file:${join(dir, 'g.db')}`,
      DATA_DIR: dir,
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
    },
    [process.execPath, '--import', 'tsx', script],
  );
  return { exit: await exitWithin(running, 20_000), stderr: running.stderr(), stdout: running.stdout() };
}

describe('an application started without JWT_SECRET in production', () => {
  it('runGatehouse prints one line naming JWT_SECRET and how to make one, no stack trace, and exits 1', async () => {
    const dir = tempDir();
    const { exit, stderr, stdout } = await startWithoutSecret(dir, applicationScript(dir, 'runGatehouse({ typeDefs, resolvers });'));
    expect(exit).toEqual({ code: 1, signal: null });
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([
      'gatehouse: configuration error: JWT_SECRET: is required in production: set it to at least 32 random bytes, for instance the output of `openssl rand -base64 48`',
    ]);
  }, 30_000);

  it('createGatehouse rejects with a ConfigError naming the variable, for the application to print', async () => {
    const dir = tempDir();
    const script = applicationScript(
      dir,
      [
        'await createGatehouse({ typeDefs, resolvers }).then(',
        "  () => console.log('started'),",
        "  (error) => { console.error(error.name + ' ' + error.variable + ': ' + error.message); process.exitCode = 1; },",
        ');',
      ].join('\n'),
    );
    const { exit, stderr } = await startWithoutSecret(dir, script);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(stderr.trimEnd()).toBe(
      'ConfigError JWT_SECRET: JWT_SECRET: is required in production: set it to at least 32 random bytes, for instance the output of `openssl rand -base64 48`',
    );
  }, 30_000);
});
