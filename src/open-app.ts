// Opening gatehouse, shared by every form of it: createGatehouse's own server (src/gatehouse.ts) and
// gatehouseForApollo (src/apollo-open.ts).
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { type App, createApp } from './app';
import { devSecretsFor } from './auth/dev-secret';
import { type Config, loadConfig, parseConfig } from './config';
import { declaredRoles } from './enforcement/declared-roles';
import { appSchemaOf, type GatehouseOptions } from './gatehouse-options';
import { buildSchema } from './graphql/schema';
import { ensureAdmin } from './services/accounts';
import { migrateApplication, migrateToLatest, openStore, type Store } from './store/database';

/** What every form of gatehouse opens: its configuration, the enforced schema, the migrated store and the App. */
export interface OpenedApp<Attached> {
  readonly config: Config;
  readonly schema: GraphQLSchema;
  readonly store: Store;
  readonly app: App;
  /** What `attach` made (gatehouse's HTTP server, or the parts for a team's Apollo Server). */
  readonly attached: Attached;
}

/**
 * Opens gatehouse: configuration, schema (a mistake fails before the database opens), the database
 * migrated (gatehouse's tables, then the application's), the App; then `attach` builds what serves
 * it and gives the logger start-up reports to; then ADMIN_EMAIL is applied. The store is closed
 * again when any step fails. createGatehouse and gatehouseForApollo (src/apollo.ts) both open here.
 */
export async function openApp<Attached>(
  options: GatehouseOptions,
  attach: (app: App, schema: GraphQLSchema) => Promise<{ readonly log: Logger; readonly attached: Attached }>,
): Promise<OpenedApp<Attached>> {
  const config = options.env === undefined ? loadConfig() : parseConfig(options.env);
  // Built before the database opens: a schema mistake (an unmarked root field) fails fast.
  const schema = buildSchema(appSchemaOf(options), { strict: config.authStrict, policyTimeoutMs: config.policyTimeoutMs });
  // The listener may connect before the logger exists: its last event waits for it.
  let logListener: ((event: 'lost' | 'listening', error?: unknown) => void) | undefined;
  let early: ['lost' | 'listening', unknown] | undefined;
  const store = openStore(config.database, {
    credentialCacheSize: config.credentialCacheSize,
    onListener: (event, error) => (logListener === undefined ? (early = [event, error]) : logListener(event, error)),
  });
  try {
    await migrateToLatest(store);
    if (options.migrations !== undefined) await migrateApplication(store, options.migrations);
    const app = createApp(config, store, { ...devSecretsFor(config), roles: declaredRoles(schema) });
    // ES256: loads the signing keys (making the first one); a SIGNING_KEYS_SECRET that does not open
    // them stops start-up here, with a message that names the key's id and nothing of the key.
    await app.accessTokens.ready();
    const { log, attached } = await attach(app, schema);
    logListener = (event, error) =>
      event === 'lost'
        ? log.warn({ err: error }, 'credential change listener lost: the credential cache is bypassed until it reconnects')
        : log.info('credential change listener connected: the credential cache is in use');
    if (early !== undefined) logListener(...early);
    // Providers' keys are fetched now, in the background: the first token of a provider does not
    // wait for them, and start-up does not wait for (or fail on) a provider that is down.
    if (app.externalTokens !== null) void app.externalTokens.prefetch();
    if (config.adminBootstrap !== null) {
      const { user, outcome } = await ensureAdmin(app, config.adminBootstrap.email, config.adminBootstrap.password);
      const said = {
        created: 'created the ADMIN from ADMIN_EMAIL',
        promoted: 'made the existing account named by ADMIN_EMAIL ADMIN (its password is ADMIN_PASSWORD); audited as user.role_changed',
        exists: 'the account named by ADMIN_EMAIL is ADMIN already; left as it is',
      } as const;
      log[outcome === 'exists' ? 'info' : 'warn']({ userId: user.id, outcome }, said[outcome]);
    }
    if (config.jwt.algorithm === 'HS256' && config.jwt.secret === null) {
      log.warn(`JWT_SECRET is not set: using a generated development secret kept in ${config.dataDir}`);
    }
    if (config.jwt.algorithm === 'ES256' && config.jwt.signingKeysSecret === null) {
      log.warn(`SIGNING_KEYS_SECRET is not set: using a generated development secret kept in ${config.dataDir}`);
    }
    return { config, schema, store, app, attached };
  } catch (error) {
    await store.close();
    throw error;
  }
}
