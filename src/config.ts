import { parseEnv } from 'node:util';
import { readFileSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { type ExternalIssuerConfig, IssuerConfigProblem, parseIssuers } from './auth/external/config';

/** Where the data lives: an SQLite file (or `:memory:`) or a PostgreSQL URL. */
export type DatabaseConfig = { readonly dialect: 'sqlite'; readonly path: string } | { readonly dialect: 'postgres'; readonly url: string };

import type { SigningAlgorithm } from './auth/signing-keys';
import { boolean, ConfigError, type Env, integer, type NodeEnv, signingAlgorithm, signingSecrets, text } from './config-values';

export { ConfigError };
export type { NodeEnv, SigningAlgorithm };

/** Everything gatehouse reads from its environment, parsed and validated once at start-up. */
export interface Config {
  readonly nodeEnv: NodeEnv;
  /** Interface the HTTP server binds to. Default `127.0.0.1`. */
  readonly host: string;
  /** TCP port; 0 picks a free one (tests). Default 4000. */
  readonly port: number;
  readonly database: DatabaseConfig;
  /** Folder for local state (the SQLite file by default, the development JWT secret). Default `./data`. */
  readonly dataDir: string;
  readonly jwt: {
    /**
     * What signs new access tokens (JWT_ALGORITHM): `HS256` with `secret`, or `ES256` with EC keys kept
     * in the database (src/auth/signing-keys.ts). Default HS256.
     */
    readonly algorithm: SigningAlgorithm;
    /**
     * HS256 secret, at least 32 bytes. With HS256, `null` only outside production: one is generated
     * under `dataDir`. With ES256 it only verifies: the HS256 tokens of an install switched to ES256
     * keep working until they expire while it stays set.
     */
    readonly secret: string | null;
    /** JWT_SECRET_PREVIOUS: a former HS256 secret whose tokens still verify (rotation of JWT_SECRET); never signs. */
    readonly previousSecret: string | null;
    /**
     * ES256: the secret the private signing keys are encrypted with in the database, at least 32 bytes.
     * `null` outside production only (one is generated under `dataDir`), and always with HS256.
     */
    readonly signingKeysSecret: string | null;
    readonly issuer: string;
    readonly audience: string;
    /** Access-token lifetime in seconds. Default 900. */
    readonly accessTokenTtlSeconds: number;
    /** Leeway for `exp`/`nbf`/`iat` in seconds, for clock skew between machines. Default 5. */
    readonly clockToleranceSeconds: number;
    /**
     * JWKS_MAX_AGE: the Cache-Control max-age of /.well-known/jwks.json and the discovery document,
     * in seconds, and so how far ahead `gatehouse keys rotate` publishes the next key (plus the
     * instances' propagation time). Default 300.
     */
    readonly jwksMaxAgeSeconds: number;
  };
  readonly refreshTokens: {
    /** A refresh token unused for this long expires. Default 14 days. */
    readonly idleTtlSeconds: number;
    /** No refresh token outlives its login by more than this, however often it is renewed. Default 30 days. */
    readonly absoluteTtlSeconds: number;
  };
  /** When both are set, start-up makes sure this ADMIN exists. */
  readonly adminBootstrap: { readonly email: string; readonly password: string } | null;
  readonly loginFailures: {
    /** Failed logins per account within the window before RATE_LIMITED. Default 5. */
    readonly perAccount: number;
    /** Failed logins per client address within the window before RATE_LIMITED. Default 50. */
    readonly perAddress: number;
    /** The window, in seconds. 15 minutes. */
    readonly windowSeconds: number;
  };
  /** Sign-ups per client address within the login window (15 minutes) before RATE_LIMITED. Default 20. */
  readonly signUpsPerAddress: number;
  /** Take the client address from X-Forwarded-For. Only behind a proxy you run. Default false. */
  readonly trustProxy: boolean;
  /** Serve the admin console at /admin (src/http/admin-console.ts). Default true. */
  readonly adminConsole: boolean;
  /**
   * The IPv6 prefix length per-address limits count a client under (login, sign-up, password
   * checks, WebSocket handshakes, anonymous subscriptions): every address in one such network is
   * one client. Default 64 (what every IPv6 host is given at least). IPv4 counts per address.
   */
  readonly ipv6LimitPrefix: number;
  /**
   * The wider IPv6 network anonymous subscriptions are also counted under
   * (SUBSCRIPTION_SOCKETS_PER_NETWORK, SUBSCRIPTIONS_PER_NETWORK): one site is commonly given a /48,
   * which holds 65,536 /64s. Default 48; at most ipv6LimitPrefix.
   */
  readonly ipv6NetworkPrefix: number;
  /** Browser origins allowed by CORS. Default none. */
  readonly corsOrigins: readonly string[];
  /** Largest request body in bytes; larger answers 413. Default 100 KiB. */
  readonly bodyLimitBytes: number;
  /** Limits on one GraphQL document; beyond them it is refused with 400 before it runs. */
  readonly operationLimits: {
    /** Deepest field nesting. Default 8. */
    readonly maxDepth: number;
    /** Aliases per document, `__typename` included. Default 15. */
    readonly maxAliases: number;
    /** Directive uses per document. Default 5. */
    readonly maxDirectives: number;
    /** Lexical tokens per document (checked while parsing). Default 2000. */
    readonly maxTokens: number;
    /** Estimated cost, list sizes considered (see graphql/limits.ts). Default 5000. */
    readonly maxCost: number;
  };
  /** Longest a request may take to arrive in full, in milliseconds; then 408. Default 30 s. */
  readonly requestTimeoutMs: number;
  /** Longest a `@policy` may take to answer, in milliseconds; then it denies (logged). Default 10 s. */
  readonly policyTimeoutMs: number;
  /**
   * Refuse to start when a root Query, Mutation or Subscription field carries none of @public, @auth,
   * @hasRole, @requiresScopes, @credentials, @owner, @inOrganization or @policy (on the field or its
   * root type). Default true.
   */
  readonly authStrict: boolean;
  /**
   * Refuse a query whole (no data) when it selects any field the caller may not read, as mutations
   * always are. Default false: queries get partial results with an error per denied field.
   */
  readonly refuseDeniedQueries: boolean;
  /**
   * Answer introspection, each caller seeing only the fields they can reach. Default: on outside
   * production, off in production (INTROSPECTION=true turns it on there).
   */
  readonly introspection: boolean;
  /** log2 of scrypt's cost N for new password hashes. Default 17 (OWASP). */
  readonly passwordHashCost: number;
  /** Password hashes computed at once; more wait their turn. Default: cores − 1 (at least 1). */
  readonly passwordHashConcurrency: number;
  /**
   * Hashes that may wait for a turn; beyond them a request that needs a hash is refused with 503
   * and Retry-After (SERVICE_UNAVAILABLE). Default 64.
   */
  readonly passwordHashQueue: number;
  /**
   * Users and API keys (each) the SQLite credential cache keeps between requests; 0 turns it off.
   * Any commit to the database, by any process, empties it. Default 10,000.
   */
  readonly credentialCacheSize: number;
  /** Identity providers whose tokens are accepted beside gatehouse's own (OIDC_ISSUERS). Default none. */
  readonly externalIssuers: readonly ExternalIssuerConfig[];
  /** GraphQL over WebSocket (src/subscriptions/): limits and how often credentials are re-checked. */
  readonly subscriptions: SubscriptionLimits;
  /**
   * The bearer token `GET /metrics` answers to (METRICS_TOKEN); null: no /metrics (404). At least
   * 16 characters.
   */
  readonly metricsToken: string | null;
  /**
   * Put `extensions.rule` (the rule that refused, as written) on UNAUTHENTICATED / FORBIDDEN field
   * errors. Always outside production; in production only with EXPLAIN_DENIALS=true.
   */
  readonly explainDenials: boolean;
  /** pino level. Default `info` (`silent` under test). */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** Limits of the WebSocket transport (docs/subscriptions.md). */
export interface SubscriptionLimits {
  /** Open sockets per signed-in user, or per client address for anonymous sockets. Default 10. */
  readonly socketsPerUser: number;
  /** Active subscriptions on one socket. Default 20. */
  readonly perSocket: number;
  /** Active subscriptions per signed-in user (per client address when anonymous), all sockets together. Default 50. */
  readonly perUser: number;
  /** Anonymous sockets per IPv6 network (IPV6_NETWORK_PREFIX; IPv4: per address), beyond the per-address cap. Default 50. */
  readonly socketsPerNetwork: number;
  /** Anonymous subscriptions per IPv6 network (IPV6_NETWORK_PREFIX; IPv4: per address), all sockets together. Default 250. */
  readonly perNetwork: number;
  /** Open sockets on this server, handshakes included; beyond, a new socket closes at once (1008). Default 2,000. */
  readonly maxSockets: number;
  /** Active subscriptions on this server; beyond, a subscribe is refused with LIMIT_EXCEEDED. Default 5,000. */
  readonly maxTotal: number;
  /** Largest WebSocket message accepted, in bytes; a larger one closes the socket (1009). Default 64 KiB. */
  readonly maxMessageBytes: number;
  /**
   * Bytes the server may hold unsent for one socket (ws `bufferedAmount`: what the client has not
   * read yet, past the kernel's buffer); past it the socket closes with 1013. Default 1 MiB.
   */
  readonly maxBufferedBytes: number;
  /** How long a socket may stay open without `connection_init`, in milliseconds; then 4408. Default 3 s. */
  readonly initTimeoutMs: number;
  /** How often every signed-in socket's credential is checked again, in milliseconds. Default 1000. */
  readonly recheckMs: number;
  /** SQLite: how often the event bus checks for events of other processes while it has subscribers, in milliseconds. Default 50. */
  readonly eventPollMs: number;
  /** How long published events stay in the event log (an instance away longer may miss some), in seconds. Default 86,400 (a day). */
  readonly eventRetentionSeconds: number;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function parseDatabaseUrl(raw: string): DatabaseConfig {
  if (raw.startsWith('file:')) {
    const path = raw.slice('file:'.length);
    if (path === '') throw new ConfigError('DATABASE_URL', 'file: needs a path, e.g. file:./data/gatehouse.db');
    return { dialect: 'sqlite', path };
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    try {
      new URL(raw);
    } catch {
      throw new ConfigError('DATABASE_URL', 'is not a valid postgres:// URL');
    }
    return { dialect: 'postgres', url: raw };
  }
  throw new ConfigError('DATABASE_URL', 'must start with file: (SQLite) or postgres:// (PostgreSQL)');
}

/**
 * Parses the environment into a frozen Config. Pure: reads only `env`.
 * Throws ConfigError naming the first variable that cannot be used.
 */
export function parseConfig(env: Env): Config {
  const rawNodeEnv = text(env, 'NODE_ENV') ?? 'development';
  if (rawNodeEnv !== 'development' && rawNodeEnv !== 'production' && rawNodeEnv !== 'test') {
    throw new ConfigError('NODE_ENV', `must be development, production or test, got "${rawNodeEnv}"`);
  }
  const nodeEnv: NodeEnv = rawNodeEnv;

  const adminEmail = text(env, 'ADMIN_EMAIL');
  const adminPassword = env['ADMIN_PASSWORD'] === '' ? undefined : env['ADMIN_PASSWORD'];
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    throw new ConfigError(adminEmail === undefined ? 'ADMIN_EMAIL' : 'ADMIN_PASSWORD', 'ADMIN_EMAIL and ADMIN_PASSWORD go together');
  }

  const logLevel = text(env, 'LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const corsOrigins = (text(env, 'CORS_ORIGINS') ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  for (const origin of corsOrigins) {
    if (origin === '*') throw new ConfigError('CORS_ORIGINS', 'a wildcard is not allowed; list the origins');
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      throw new ConfigError('CORS_ORIGINS', `"${origin}" is not an origin like https://app.example.com`);
    }
    if (parsed.origin !== origin) throw new ConfigError('CORS_ORIGINS', `"${origin}" is not an origin (write ${parsed.origin})`);
  }

  const jwtIssuer = text(env, 'JWT_ISSUER') ?? 'gatehouse';
  const algorithm = signingAlgorithm(env);
  let externalIssuers: ExternalIssuerConfig[] = [];
  const rawIssuers = text(env, 'OIDC_ISSUERS');
  if (rawIssuers !== undefined) {
    try {
      externalIssuers = parseIssuers(rawIssuers, jwtIssuer);
    } catch (error) {
      if (error instanceof IssuerConfigProblem) throw new ConfigError('OIDC_ISSUERS', error.message);
      throw error;
    }
  }

  const ipv6LimitPrefix = integer(env, 'IPV6_LIMIT_PREFIX', 64, 16, 128);
  const config: Config = {
    nodeEnv,
    host: text(env, 'HOST') ?? '127.0.0.1',
    port: integer(env, 'PORT', 4000, 0, 65535),
    database: parseDatabaseUrl(text(env, 'DATABASE_URL') ?? 'file:./data/gatehouse.db'),
    dataDir: text(env, 'DATA_DIR') ?? './data',
    jwt: {
      algorithm,
      ...signingSecrets(env, nodeEnv, algorithm),
      issuer: jwtIssuer,
      audience: text(env, 'JWT_AUDIENCE') ?? 'gatehouse-api',
      accessTokenTtlSeconds: integer(env, 'ACCESS_TOKEN_TTL', 900, 10, 86_400),
      clockToleranceSeconds: integer(env, 'JWT_CLOCK_TOLERANCE', 5, 0, 300),
      jwksMaxAgeSeconds: integer(env, 'JWKS_MAX_AGE', 300, 1, 86_400),
    },
    refreshTokens: {
      idleTtlSeconds: integer(env, 'REFRESH_TOKEN_IDLE_TTL', 14 * 86_400, 60, 365 * 86_400),
      absoluteTtlSeconds: integer(env, 'REFRESH_TOKEN_ABSOLUTE_TTL', 30 * 86_400, 60, 3 * 365 * 86_400),
    },
    adminBootstrap: adminEmail !== undefined && adminPassword !== undefined ? { email: adminEmail, password: adminPassword } : null,
    loginFailures: {
      perAccount: integer(env, 'LOGIN_FAILURES_PER_ACCOUNT', 5, 1, 10_000),
      perAddress: integer(env, 'LOGIN_FAILURES_PER_ADDRESS', 50, 1, 1_000_000),
      windowSeconds: 15 * 60,
    },
    signUpsPerAddress: integer(env, 'SIGNUPS_PER_ADDRESS', 20, 1, 1_000_000),
    trustProxy: boolean(env, 'TRUST_PROXY', false),
    adminConsole: boolean(env, 'ADMIN_CONSOLE', true),
    ipv6LimitPrefix,
    ipv6NetworkPrefix: integer(env, 'IPV6_NETWORK_PREFIX', Math.min(48, ipv6LimitPrefix), 16, ipv6LimitPrefix),
    corsOrigins,
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 100 * 1024, 1024, 10 * 1024 * 1024),
    operationLimits: {
      maxDepth: integer(env, 'MAX_QUERY_DEPTH', 8, 2, 64),
      maxAliases: integer(env, 'MAX_ALIASES', 15, 0, 1000),
      maxDirectives: integer(env, 'MAX_DIRECTIVES', 5, 0, 1000),
      maxTokens: integer(env, 'MAX_QUERY_TOKENS', 2000, 100, 100_000),
      maxCost: integer(env, 'MAX_QUERY_COST', 5000, 10, 10_000_000),
    },
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    policyTimeoutMs: integer(env, 'POLICY_TIMEOUT_MS', 10_000, 10, 600_000),
    authStrict: boolean(env, 'AUTH_STRICT', true),
    refuseDeniedQueries: boolean(env, 'REFUSE_DENIED_QUERIES', false),
    introspection: boolean(env, 'INTROSPECTION', nodeEnv !== 'production'),
    passwordHashCost: integer(env, 'PASSWORD_HASH_COST', 17, 10, 20),
    passwordHashConcurrency: integer(env, 'PASSWORD_HASH_CONCURRENCY', Math.max(1, availableParallelism() - 1), 1, 64),
    passwordHashQueue: integer(env, 'PASSWORD_HASH_QUEUE', 64, 0, 10_000),
    credentialCacheSize: integer(env, 'CREDENTIAL_CACHE_SIZE', 10_000, 0, 1_000_000),
    externalIssuers,
    subscriptions: {
      socketsPerUser: integer(env, 'SUBSCRIPTION_SOCKETS_PER_USER', 10, 1, 100_000),
      perSocket: integer(env, 'SUBSCRIPTIONS_PER_SOCKET', 20, 1, 10_000),
      perUser: integer(env, 'SUBSCRIPTIONS_PER_USER', 50, 1, 1_000_000),
      socketsPerNetwork: integer(env, 'SUBSCRIPTION_SOCKETS_PER_NETWORK', 50, 1, 1_000_000),
      perNetwork: integer(env, 'SUBSCRIPTIONS_PER_NETWORK', 250, 1, 10_000_000),
      maxSockets: integer(env, 'SUBSCRIPTION_MAX_SOCKETS', 2_000, 1, 1_000_000),
      maxTotal: integer(env, 'SUBSCRIPTION_MAX_TOTAL', 5_000, 1, 10_000_000),
      maxMessageBytes: integer(env, 'SUBSCRIPTION_MESSAGE_MAX_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
      maxBufferedBytes: integer(env, 'SUBSCRIPTION_SEND_BUFFER_MAX_BYTES', 1024 * 1024, 16 * 1024, 256 * 1024 * 1024),
      initTimeoutMs: integer(env, 'SUBSCRIPTION_INIT_TIMEOUT_MS', 3_000, 100, 60_000),
      recheckMs: integer(env, 'SUBSCRIPTION_RECHECK_MS', 1_000, 50, 1_000),
      eventPollMs: integer(env, 'SUBSCRIPTION_EVENT_POLL_MS', 50, 10, 1_000),
      eventRetentionSeconds: integer(env, 'SUBSCRIPTION_EVENT_RETENTION_SECONDS', 86_400, 60, 30 * 86_400),
    },
    metricsToken: metricsToken(env),
    explainDenials: boolean(env, 'EXPLAIN_DENIALS', false) || nodeEnv !== 'production',
    logLevel: logLevel as Config['logLevel'],
  };
  return deepFreeze(config);
}

/** METRICS_TOKEN: unset or empty is no /metrics; a set one must be long enough not to be guessed. */
function metricsToken(env: Env): string | null {
  const token = text(env, 'METRICS_TOKEN');
  if (token === undefined || token === '') return null;
  if (token.length < 16) throw new ConfigError('METRICS_TOKEN', 'must be at least 16 characters (or unset, for no /metrics)');
  return token;
}

/**
 * Reads an optional `.env` file; variables already in the environment win over the file.
 * A thin adapter around parseConfig for main.ts and the CLI.
 */
export function loadConfig(env: Env = process.env, envFile = '.env'): Config {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return parseConfig({ ...fromFile, ...env });
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
