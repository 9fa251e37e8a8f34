import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, type KeyLike, SignJWT, type JWTPayload } from 'jose';

export type TestAlgorithm = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

export interface TestKey {
  readonly kid: string;
  readonly alg: TestAlgorithm;
  readonly privateKey: KeyLike;
  readonly publicJwk: JWK;
}

/**
 * A minimal OpenID provider on loopback: a discovery document and a JWKS endpoint, with counters
 * and an off switch. Keys are made with jose, so tokens are signed exactly as a provider signs them.
 */
export interface TestIssuer {
  /** `http://127.0.0.1:<port>` plus `path`; what tokens carry in `iss`. */
  readonly issuer: string;
  readonly jwksUri: string;
  /** Requests answered per path (`/.well-known/openid-configuration`, `/jwks`). */
  readonly hits: Map<string, number>;
  /** Published keys, in order. */
  readonly published: TestKey[];
  /** While true, every request is answered 503 (the provider is down). */
  down: boolean;
  /** The JWKS answer's Cache-Control header; none while undefined. */
  cacheControl: string | undefined;
  newKey(alg?: TestAlgorithm, kid?: string): Promise<TestKey>;
  publish(key: TestKey): void;
  unpublish(kid: string): void;
  /** A signed token; `claims` override the defaults (iss, sub, aud, iat, exp in one hour). */
  sign(key: TestKey, claims?: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  jwksFetches(): number;
  close(): Promise<void>;
}

let kids = 0;

export async function startTestIssuer(options: { path?: string; audience?: string; trailingSlash?: boolean } = {}): Promise<TestIssuer> {
  const path = options.path ?? '/realms/acme';
  const hits = new Map<string, number>();
  const published: TestKey[] = [];
  const state: { down: boolean; cacheControl: string | undefined } = { down: false, cacheControl: undefined };
  let issuer = '';
  let base = '';
  const server: Server = createServer((request, response) => {
    const url = (request.url ?? '').split('?')[0] as string;
    hits.set(url, (hits.get(url) ?? 0) + 1);
    if (state.down) {
      response.writeHead(503).end();
      return;
    }
    if (url === `${path}/.well-known/openid-configuration`) {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ issuer, jwks_uri: `${base}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }));
      return;
    }
    if (url === `${path}/jwks`) {
      const headers = {
        'content-type': 'application/json',
        ...(state.cacheControl === undefined ? {} : { 'cache-control': state.cacheControl }),
      };
      response.writeHead(200, headers).end(JSON.stringify({ keys: published.map((k) => k.publicJwk) }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  // Auth0's issuer ends in a slash; its documents live under the address without it.
  issuer = options.trailingSlash === true ? `${base}/` : base;
  const audience = options.audience ?? 'gatehouse-api';

  const self: TestIssuer = {
    issuer,
    jwksUri: `${base}/jwks`,
    hits,
    published,
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    get cacheControl() {
      return state.cacheControl;
    },
    set cacheControl(value: string | undefined) {
      state.cacheControl = value;
    },
    async newKey(alg = 'RS256', kid = `k${++kids}`) {
      const { publicKey, privateKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
      return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
    },
    publish(key) {
      published.push(key);
    },
    unpublish(kid) {
      const at = published.findIndex((k) => k.kid === kid);
      if (at >= 0) published.splice(at, 1);
    },
    async sign(key, claims = {}, header = {}) {
      const now = Math.floor(Date.now() / 1000);
      const payload: JWTPayload = { iss: issuer, sub: 'user-1', aud: audience, iat: now, exp: now + 3600, ...claims };
      for (const [name, value] of Object.entries(payload)) if (value === undefined) delete (payload as Record<string, unknown>)[name];
      return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header }).sign(key.privateKey);
    },
    jwksFetches: () => hits.get(`${path}/jwks`) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return self;
}

/** A JWT with the given header and payload and the given signature bytes (for forgeries). */
export function rawJwt(header: object, payload: object, signature = ''): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64(header)}.${b64(payload)}.${signature}`;
}
