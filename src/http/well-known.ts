// What other services read to verify gatehouse's tokens: the public key set and, when JWT_ISSUER is
// an http(s) URL, OpenID discovery pointing at it. Public, unauthenticated, and cacheable for
// JWKS_MAX_AGE seconds (config.jwt.jwksMaxAgeSeconds, default 300): a verifier that honours
// Cache-Control stops trusting a retired key that long after it left the set at most, and knows the
// next key before it signs (`gatehouse keys rotate` publishes it that far ahead: signing-keys.ts).
// gatehouse as a verifier of another gatehouse honours it too (src/auth/external/keys.ts).
import type { RouteModule } from './route';

export const JWKS_PATH = '/.well-known/jwks.json';
export const DISCOVERY_PATH = '/.well-known/openid-configuration';

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
  const cacheControl = `public, max-age=${app.config.jwt.jwksMaxAgeSeconds}, must-revalidate`;
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
