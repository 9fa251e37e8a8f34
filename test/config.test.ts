import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../src/config';

const SECRET = 'b3F0c2VjcmV0LXRoYXQtaXMtbG9uZy1lbm91Z2gtZm9yLWhzMjU2';

describe('parseConfig', () => {
  it('has the documented defaults', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      host: '127.0.0.1',
      port: 4000,
      database: { dialect: 'sqlite', path: './data/gatehouse.db' },
      jwt: { secret: null, issuer: 'gatehouse', audience: 'gatehouse-api', accessTokenTtlSeconds: 900 },
      adminBootstrap: null,
      loginFailures: { perAccount: 5, perAddress: 50, windowSeconds: 900 },
      trustProxy: false,
      adminConsole: true,
      corsOrigins: [],
      bodyLimitBytes: 102_400,
      passwordHashCost: 17,
      credentialCacheSize: 10_000,
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
  });

  it('reads the subscription limits, with their defaults, and refuses a re-check slower than 1 s', () => {
    expect(parseConfig({}).subscriptions).toEqual({
      socketsPerUser: 10,
      perSocket: 20,
      perUser: 50,
      socketsPerNetwork: 50,
      perNetwork: 250,
      maxSockets: 2_000,
      maxTotal: 5_000,
      maxMessageBytes: 65_536,
      maxBufferedBytes: 1_048_576,
      initTimeoutMs: 3_000,
      recheckMs: 1_000,
      eventPollMs: 50,
      eventRetentionSeconds: 86_400,
    });
    expect(
      parseConfig({
        SUBSCRIPTION_SOCKETS_PER_USER: '2',
        SUBSCRIPTIONS_PER_SOCKET: '3',
        SUBSCRIPTIONS_PER_USER: '4',
        SUBSCRIPTION_SOCKETS_PER_NETWORK: '5',
        SUBSCRIPTIONS_PER_NETWORK: '6',
        SUBSCRIPTION_MAX_SOCKETS: '7',
        SUBSCRIPTION_MAX_TOTAL: '8',
        SUBSCRIPTION_MESSAGE_MAX_BYTES: '2048',
        SUBSCRIPTION_SEND_BUFFER_MAX_BYTES: '65536',
        SUBSCRIPTION_INIT_TIMEOUT_MS: '500',
        SUBSCRIPTION_RECHECK_MS: '250',
        SUBSCRIPTION_EVENT_POLL_MS: '100',
        SUBSCRIPTION_EVENT_RETENTION_SECONDS: '3600',
      }).subscriptions,
    ).toEqual({
      socketsPerUser: 2,
      perSocket: 3,
      perUser: 4,
      socketsPerNetwork: 5,
      perNetwork: 6,
      maxSockets: 7,
      maxTotal: 8,
      maxMessageBytes: 2048,
      maxBufferedBytes: 65_536,
      initTimeoutMs: 500,
      recheckMs: 250,
      eventPollMs: 100,
      eventRetentionSeconds: 3600,
    });
    expect(() => parseConfig({ SUBSCRIPTION_EVENT_POLL_MS: '5' })).toThrow(/SUBSCRIPTION_EVENT_POLL_MS/);
    expect(() => parseConfig({ SUBSCRIPTION_EVENT_RETENTION_SECONDS: '10' })).toThrow(/SUBSCRIPTION_EVENT_RETENTION_SECONDS/);
    expect(() => parseConfig({ SUBSCRIPTION_RECHECK_MS: '5000' })).toThrow(ConfigError);
    expect(() => parseConfig({ SUBSCRIPTIONS_PER_SOCKET: '0' })).toThrow(/SUBSCRIPTIONS_PER_SOCKET/);
    expect(() => parseConfig({ SUBSCRIPTION_SEND_BUFFER_MAX_BYTES: '1000' })).toThrow(/SUBSCRIPTION_SEND_BUFFER_MAX_BYTES/);
  });

  it('reads the IPv6 prefixes of the per-address and per-network limits: /64 and /48 by default, the network never narrower', () => {
    expect(parseConfig({})).toMatchObject({ ipv6LimitPrefix: 64, ipv6NetworkPrefix: 48 });
    expect(parseConfig({ IPV6_LIMIT_PREFIX: '56', IPV6_NETWORK_PREFIX: '40' })).toMatchObject({
      ipv6LimitPrefix: 56,
      ipv6NetworkPrefix: 40,
    });
    // A per-address prefix wider than /48 takes the network prefix along by default.
    expect(parseConfig({ IPV6_LIMIT_PREFIX: '44' })).toMatchObject({ ipv6LimitPrefix: 44, ipv6NetworkPrefix: 44 });
    expect(() => parseConfig({ IPV6_LIMIT_PREFIX: '48', IPV6_NETWORK_PREFIX: '56' })).toThrow(/IPV6_NETWORK_PREFIX/);
    expect(() => parseConfig({ IPV6_LIMIT_PREFIX: '129' })).toThrow(/IPV6_LIMIT_PREFIX/);
    expect(() => parseConfig({ SUBSCRIPTION_MAX_SOCKETS: '0' })).toThrow(/SUBSCRIPTION_MAX_SOCKETS/);
    expect(() => parseConfig({ SUBSCRIPTION_MAX_TOTAL: 'many' })).toThrow(/SUBSCRIPTION_MAX_TOTAL/);
  });

  it('reads every variable', () => {
    const config = parseConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u@127.0.0.1:5432/db',
      JWT_SECRET: SECRET,
      JWT_ISSUER: 'iss',
      JWT_AUDIENCE: 'aud',
      ACCESS_TOKEN_TTL: '60',
      ADMIN_EMAIL: 'root@example.com',
      ADMIN_PASSWORD: 'pw pw pw pw',
      LOGIN_FAILURES_PER_ACCOUNT: '3',
      LOGIN_FAILURES_PER_ADDRESS: '30',
      TRUST_PROXY: 'true',
      ADMIN_CONSOLE: 'false',
      CORS_ORIGINS: 'https://a.example.com, http://localhost:3000',
      CREDENTIAL_CACHE_SIZE: '0',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      port: 8080,
      host: '0.0.0.0',
      database: { dialect: 'postgres', url: 'postgres://u@127.0.0.1:5432/db' },
      jwt: { secret: SECRET, issuer: 'iss', audience: 'aud', accessTokenTtlSeconds: 60 },
      adminBootstrap: { email: 'root@example.com', password: 'pw pw pw pw' },
      loginFailures: { perAccount: 3, perAddress: 30 },
      trustProxy: true,
      adminConsole: false,
      corsOrigins: ['https://a.example.com', 'http://localhost:3000'],
      credentialCacheSize: 0,
    });
  });

  it('answers introspection outside production, and in production only with INTROSPECTION=true', () => {
    expect(parseConfig({}).introspection).toBe(true);
    expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).introspection).toBe(false);
    expect(parseConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, INTROSPECTION: 'true' }).introspection).toBe(true);
    expect(parseConfig({ INTROSPECTION: 'false' }).introspection).toBe(false);
  });

  it.each([
    [{ INTROSPECTION: 'yes please' }, 'INTROSPECTION'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ JWT_SECRET: 'a'.repeat(40) }, 'JWT_SECRET'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ ACCESS_TOKEN_TTL: '-5' }, 'ACCESS_TOKEN_TTL'],
    [{ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
    [{ ADMIN_CONSOLE: 'maybe' }, 'ADMIN_CONSOLE'],
    [{ CORS_ORIGINS: '*' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'https://a.example.com/path' }, 'CORS_ORIGINS'],
    [{ ADMIN_EMAIL: 'root@example.com' }, 'ADMIN_PASSWORD'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ CREDENTIAL_CACHE_SIZE: '-1' }, 'CREDENTIAL_CACHE_SIZE'],
  ])('fails on %j naming %s', (env, variable) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(new RegExp(`^${variable}:`));
  });
});

describe('loadConfig', () => {
  it('reads an optional .env file, the environment winning over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-env-'));
    const file = join(dir, '.env');
    writeFileSync(file, 'PORT=5001\nJWT_ISSUER=from-file\n# a comment\nCORS_ORIGINS=https://a.example.com\n');
    const config = loadConfig({ PORT: '5002' }, file);
    expect(config.port).toBe(5002);
    expect(config.jwt.issuer).toBe('from-file');
    expect(config.corsOrigins).toEqual(['https://a.example.com']);
    expect(loadConfig({}, join(dir, 'missing.env')).port).toBe(4000);
  });
});
