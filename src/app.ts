import type { Config } from './config';
import { type AccessTokens, createAccessTokens } from './auth/jwt';
import { createPasswordHasher, type PasswordHasher } from './auth/passwords';
import type { Store } from './store/database';

/** What every service and resolver works with: the parsed config, the store and the primitives built from them. */
export interface App {
  readonly config: Config;
  readonly store: Store;
  readonly passwords: PasswordHasher;
  readonly accessTokens: AccessTokens;
  /** The current time. Tests replace it to move past expiries without waiting. */
  readonly now: () => Date;
}

export interface AppOptions {
  /** Overrides the clock (tests). */
  readonly now?: () => Date;
  /** The JWT secret to use when the config has none (development: read from the data folder). */
  readonly jwtSecret?: string;
}

export function createApp(config: Config, store: Store, options: AppOptions = {}): App {
  const secret = config.jwt.secret ?? options.jwtSecret;
  if (secret === undefined) throw new TypeError('createApp: no JWT secret in config and none given');
  return {
    config,
    store,
    passwords: createPasswordHasher(config.passwordHashCost, {
      concurrency: config.passwordHashConcurrency,
      maxWaiting: config.passwordHashQueue,
    }),
    accessTokens: createAccessTokens({
      secret,
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      ttlSeconds: config.jwt.accessTokenTtlSeconds,
      clockToleranceSeconds: config.jwt.clockToleranceSeconds,
    }),
    now: options.now ?? (() => new Date()),
  };
}
