import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { type Config, ConfigError } from './config';
import { checkRoleMaps, IssuerConfigProblem } from './auth/external/config';
import type { RoleCatalog } from './auth/role-catalog';
import { defaultRoleCatalog } from './auth/roles';
import { type AccessTokens, createAccessTokens } from './auth/jwt';
import { createKeyRing, type KeyRing } from './auth/key-ring';
import { createPasswordHasher, type PasswordHasher } from './auth/passwords';
import type { Store } from './store/database';
import { insertSigningKey, listSigningKeys, signingKeysVersion } from './store/signing-keys';
import { newId } from './store/ids';
import { createExternalTokens, type ExternalTokens } from './auth/external/tokens';
import pino from 'pino';
import { createEventBus, type EventBus } from './events/event-bus';
import { createDenialReports, type Telemetry } from './telemetry/denial-reports';
import { createMetrics } from './telemetry/metrics';

/** What every service and resolver works with: the parsed config, the store and the primitives built from them. */
export interface App {
  readonly config: Config;
  readonly store: Store;
  /** The application's declared roles (its `enum Role`, read at schema build): the one source of truth for them. */
  readonly roles: RoleCatalog;
  readonly passwords: PasswordHasher;
  readonly accessTokens: AccessTokens;
  /** Tokens from the identity providers in OIDC_ISSUERS; null when none is configured. */
  readonly externalTokens: ExternalTokens | null;
  /** The current time. Tests replace it to move past expiries without waiting. */
  readonly now: () => Date;
  /** Events for subscriptions (ids only): src/events/event-bus.ts. Listens only once started (src/http/server.ts) or subscribed to. */
  readonly events: EventBus;
  /** The server's own log, for lines no request carries (a request's lines go to its logger, with its id). */
  readonly log: pino.Logger;
  /** This instance's metrics (its own registry) and denial log: src/telemetry/. */
  readonly telemetry: Telemetry;
  /** Apollo plugins run after gatehouse's own; none in production (tests: one that fails in a hook). */
  readonly apolloPlugins?: readonly ApolloServerPlugin<BaseContext>[];
}

export interface AppOptions {
  /**
   * The roles the served schema declares (src/enforcement/declared-roles.ts `declaredRoles`);
   * default gatehouse's USER and ADMIN. OIDC_ISSUERS' `roleMap` is held to them.
   */
  readonly roles?: RoleCatalog;
  /** Overrides the clock (tests). */
  readonly now?: () => Date;
  /** The JWT secret to use when the config has none (development: read from the data folder). */
  readonly jwtSecret?: string;
  /** ES256: the SIGNING_KEYS_SECRET to use when the config has none (development: read from the data folder). */
  readonly signingKeysSecret?: string;
  /** Where external-token refusals and provider outages are logged; default a pino logger at LOG_LEVEL. */
  readonly externalLog?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** Told of each read of `signing_keys` by the key ring: a full `list`, or the cheap `version` (tests count them). */
  readonly onSigningKeysRead?: (read: 'list' | 'version') => void;
  /** Key-fetch timing for external issuers (tests: a manual clock, a short cooldown). */
  readonly externalKeyFetch?: Partial<Omit<import('./auth/external/keys').KeyFetchOptions, 'log'>>;
  /** More Apollo plugins, after gatehouse's own (tests: a plugin that fails, to see what the client is told). */
  readonly apolloPlugins?: readonly ApolloServerPlugin<BaseContext>[];
}

export function createApp(config: Config, store: Store, options: AppOptions = {}): App {
  const now = options.now ?? (() => new Date());
  const roles = options.roles ?? defaultRoleCatalog();
  try {
    checkRoleMaps(config.externalIssuers, roles.roles);
  } catch (error) {
    if (error instanceof IssuerConfigProblem) throw new ConfigError('OIDC_ISSUERS', error.message);
    throw error;
  }
  const passwords = createPasswordHasher(config.passwordHashCost, {
    concurrency: config.passwordHashConcurrency,
    maxWaiting: config.passwordHashQueue,
  });
  // Without METRICS_TOKEN nothing can read the process metrics: they are not collected.
  const metrics = createMetrics({ processMetrics: config.metricsToken !== null });
  metrics.observe({
    passwordHashQueueDepth: () => passwords.queueDepth(),
    credentialCache: () => store.lookups.cacheStats(),
    ...(store.poolStats ? { pool: store.poolStats } : {}),
  });
  const log = pino({ level: config.logLevel, name: 'gatehouse' });
  return {
    config,
    store,
    roles,
    log,
    passwords,
    telemetry: { metrics, denials: createDenialReports({ metrics, now: () => now().getTime() }) },
    accessTokens: createAccessTokens({
      keys: keyRingFor(config, store, options, now),
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ttlSeconds: config.jwt.accessTokenTtlSeconds,
      clockToleranceSeconds: config.jwt.clockToleranceSeconds,
    }),
    externalTokens:
      config.externalIssuers.length === 0
        ? null
        : createExternalTokens(config.externalIssuers, {
            clockToleranceSeconds: config.jwt.clockToleranceSeconds,
            log: options.externalLog ?? pino({ level: config.logLevel, name: 'gatehouse.external-tokens' }),
            ...(options.externalKeyFetch ? { fetch: options.externalKeyFetch } : {}),
          }),
    now,
    events: createEventBus(
      config.database,
      store,
      { pollMs: config.subscriptions.eventPollMs, retentionMs: config.subscriptions.eventRetentionSeconds * 1_000 },
      { delivered: (lag) => metrics.eventBusLag(lag) },
    ),
    ...(options.apolloPlugins ? { apolloPlugins: options.apolloPlugins } : {}),
  };
}

/** The signing keys JWT_ALGORITHM names (src/auth/key-ring.ts); ES256 keys load at `accessTokens.ready()`. */
function keyRingFor(config: Config, store: Store, options: AppOptions, now: () => Date): KeyRing {
  const { jwt } = config;
  const hsSecret = jwt.secret ?? (jwt.algorithm === 'HS256' ? (options.jwtSecret ?? null) : null);
  if (jwt.algorithm === 'HS256' && hsSecret === null) throw new TypeError('createApp: no JWT secret in config and none given');
  const signingKeysSecret = jwt.signingKeysSecret ?? options.signingKeysSecret ?? null;
  if (jwt.algorithm === 'ES256' && signingKeysSecret === null)
    throw new TypeError('createApp: no SIGNING_KEYS_SECRET in config and none given');
  return createKeyRing({
    algorithm: jwt.algorithm,
    hsSecret,
    hsPreviousSecret: jwt.previousSecret,
    signingKeysSecret,
    timing: { accessTokenTtlSeconds: jwt.accessTokenTtlSeconds, clockToleranceSeconds: jwt.clockToleranceSeconds },
    now,
    store: {
      list: () => {
        options.onSigningKeysRead?.('list');
        return listSigningKeys(store.db);
      },
      version: () => {
        options.onSigningKeysRead?.('version');
        return signingKeysVersion(store.db);
      },
      // The first key is audited like a rotation's, in the same transaction, by the instance that made it.
      insertFirst: (key) =>
        insertSigningKey(store.db, key, true, {
          id: newId(),
          createdAt: key.createdAt,
          action: 'signing_key.created',
          actorId: null,
          subjectId: null,
          address: null,
          source: 'cli',
          detail: { kid: key.kid },
        }),
      // A row change names its table (PostgreSQL); `all` (any SQLite commit, a lost signal) may be
      // one of the keys: the ring compares the keys' version before reloading.
      onChange: (listener) =>
        store.lookups.onChange((change) => {
          if (change === 'all') listener(false);
          else if (change.table === 'signing_keys') listener(true);
        }),
    },
  });
}
