// Peer: GraphQL Yoga 5 over node:http + @graphql-yoga/plugin-jwt (HS256, a KeyObject rather than
// a string secret, which jsonwebtoken verifies ~30x slower: the comment in src/auth/jwt.ts) +
// @envelop/generic-auth in protect-granular mode with its @authenticated directive. `me` answers
// from the token's `sub`: no user lookup.
// Prints one JSON line {"url", "pid", "token"} on stderr when it listens.
import { createSecretKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BENCH_JWT_SECRET, peerToken } from './peer-token';

// Loaded untyped: their type declarations widen graphql's GraphQLErrorExtensions globally
// (`http.headers` as a record), which would clash with gatehouse's own sources in this compile.
/* eslint-disable @typescript-eslint/no-require-imports */
const { useGenericAuth } = require('@envelop/generic-auth');
const { createInlineSigningKeyProvider, extractFromHeader, useJWT } = require('@graphql-yoga/plugin-jwt');
const { createSchema, createYoga } = require('graphql-yoga');

type User = { sub: string };

async function main(): Promise<void> {
  const key = createSecretKey(Buffer.from(BENCH_JWT_SECRET));
  const yoga = createYoga({
    logging: false,
    maskedErrors: true,
    schema: createSchema({
      typeDefs: `directive @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE
        type User { id: ID! }
        type Query { me: User @authenticated  publicMessage: String! }`,
      resolvers: {
        Query: {
          me: (_root: unknown, _args: unknown, context: { currentUser: User }) => ({ id: context.currentUser.sub }),
          publicMessage: () => 'Welcome.',
        },
      },
    }),
    plugins: [
      useJWT({
        // Typed as returning a string; jsonwebtoken takes the KeyObject as it is.
        signingKeyProviders: [createInlineSigningKeyProvider(key)],
        tokenLookupLocations: [extractFromHeader({ name: 'authorization', prefix: 'Bearer' })],
        tokenVerification: { algorithms: ['HS256'] },
        reject: { missingToken: false, invalidToken: true },
        extendContext: true,
      }),
      useGenericAuth({
        mode: 'protect-granular',
        resolveUserFn: (context: { jwt?: { payload?: User } }) => context.jwt?.payload ?? null,
      }),
    ],
  });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.stderr.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: process.pid, token: peerToken(key) })}\n`);
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

void main();
