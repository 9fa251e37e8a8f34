import { createApp } from './app';
import { readOrCreateDevSecret } from './auth/dev-secret';
import { ConfigError, loadConfig } from './config';
import { createHttpServer } from './http/server';
import { ensureAdmin } from './services/accounts';
import { migrateToLatest, openStore } from './store/database';

async function main(): Promise<void> {
  const config = loadConfig();
  // The listener may connect before the logger exists: its last event waits for it.
  let logListener: ((event: 'lost' | 'listening', error?: unknown) => void) | undefined;
  let early: ['lost' | 'listening', unknown] | undefined;
  const store = openStore(config.database, {
    credentialCacheSize: config.credentialCacheSize,
    onListener: (event, error) => (logListener === undefined ? (early = [event, error]) : logListener(event, error)),
  });
  await migrateToLatest(store);
  const app = createApp(config, store, config.jwt.secret === null ? { jwtSecret: readOrCreateDevSecret(config.dataDir) } : {});
  const server = await createHttpServer(app);
  const log = server.fastify.log;
  logListener = (event, error) =>
    event === 'lost'
      ? log.warn({ err: error }, 'credential change listener lost: the credential cache is bypassed until it reconnects')
      : log.info('credential change listener connected: the credential cache is in use');
  if (early !== undefined) logListener(...early);
  if (config.adminBootstrap !== null) {
    const { user, outcome } = await ensureAdmin(app, config.adminBootstrap.email, config.adminBootstrap.password);
    const said = {
      created: 'created the ADMIN from ADMIN_EMAIL',
      promoted: 'made the existing account named by ADMIN_EMAIL ADMIN (its password is ADMIN_PASSWORD); audited as user.role_changed',
      exists: 'the account named by ADMIN_EMAIL is ADMIN already; left as it is',
    } as const;
    log[outcome === 'exists' ? 'info' : 'warn']({ userId: user.id, outcome }, said[outcome]);
  }
  if (config.jwt.secret === null) log.warn(`JWT_SECRET is not set: using a generated development secret kept in ${config.dataDir}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing requests in flight');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  const url = await server.listen();
  log.info(`gatehouse is listening: GraphQL at ${url}/graphql (${config.database.dialect}, ${config.nodeEnv})`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`gatehouse: configuration error: ${error.message}`);
  } else {
    // The message, and the driver's code when there is one (SQLITE_BUSY_SNAPSHOT tells more than
    // "database is locked"); never the stack.
    const driverCode = error instanceof Error ? (error as { code?: unknown }).code : undefined;
    const code = typeof driverCode === 'string' ? ` (${driverCode})` : '';
    console.error(`gatehouse: start-up failed: ${error instanceof Error ? error.message : String(error)}${code}`);
  }
  process.exit(1);
});
