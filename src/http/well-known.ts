// What other services read to verify gatehouse's tokens: the public key set and, when JWT_ISSUER is
// an http(s) URL, OpenID discovery pointing at it. Public, unauthenticated, and cacheable for
// JWKS_MAX_AGE_SECONDS: the longest a verifier that honours Cache-Control may go on trusting a key
// after `gatehouse keys retire` (the operations guide says so).
import type { RouteModule } from './route';

export const JWKS_PATH = '/.well-known/jwks.json';
export const DISCOVERY_PATH = '/.well-known/openid-configuration';
/**
 * Five minutes: a verifier polling at this pace sees a new key well within any access-token
 * lifetime and stops trusting a retired one five minutes after it was retired at most (plus its own
 * refresh policy: gatehouse as a verifier refreshes a provider's set after 10 minutes).
 */
export const JWKS_MAX_AGE_SECONDS = 300;

/** The issuer as a URL base when it is one (`https://auth.example.com`), else undefined. */
export function issuerUrl(issuer: string): string | undefined {
  try {
    const url = new URL(issuer);
    return url.protocol === 'https:' || url.protocol === 'http:' ? issuer.replace(/\/+$/, '') : undefined;
  } catch {
    return undefined;
  }
}

export const wellKnownRoutes: RouteModule = (fastify, { app }) => {
  const cacheControl = `public, max-age=${JWKS_MAX_AGE_SECONDS}, must-revalidate`;
  fastify.get(JWKS_PATH, async (_request, reply) => {
    reply.header('cache-control', cacheControl);
    return { keys: app.accessTokens.publishedKeys() };
  });
  const base = issuerUrl(app.config.jwt.issuer);
  if (base !== undefined) {
    const document = Object.freeze({
      issuer: app.config.jwt.issuer,
      jwks_uri: `${base}${JWKS_PATH}`,
      id_token_signing_alg_values_supported: app.config.jwt.algorithm === 'ES256' ? ['ES256'] : [],
      subject_types_supported: ['public'],
      response_types_supported: [],
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'jti', 'sid'],
    });
    fastify.get(DISCOVERY_PATH, async (_request, reply) => {
      reply.header('cache-control', cacheControl);
      return document;
    });
  }
  // The key ring's reload timer ends with the server.
  fastify.addHook('onClose', async () => app.accessTokens.close());
};
