// Peer: Fastify 5 + Mercurius + mercurius-auth, configured as their docs show: an @auth directive,
// the caller's HS256 JWT checked once per request (authContext) with jsonwebtoken and a KeyObject,
// the policy reading the result. `me` answers from the token's `sub`: no user lookup.
// Prints one JSON line {"url", "pid", "token"} on stderr when it listens.
import { createSecretKey } from 'node:crypto';
import Fastify from 'fastify';
import jwt from 'jsonwebtoken';
import mercurius from 'mercurius';
import mercuriusAuth from 'mercurius-auth';
import { BENCH_JWT_SECRET, peerToken } from './peer-token';

async function main(): Promise<void> {
  const key = createSecretKey(Buffer.from(BENCH_JWT_SECRET));
  const app = Fastify({ logger: false });
  await app.register(mercurius, {
    schema: `directive @auth on FIELD_DEFINITION
      type User { id: ID! }
      type Query { me: User @auth  publicMessage: String! }`,
    resolvers: {
      Query: {
        me: (_root: unknown, _args: unknown, context: { auth?: Record<string, unknown> }) => ({ id: context.auth?.['sub'] }),
        publicMessage: () => 'Welcome.',
      },
    },
  });
  await app.register(mercuriusAuth, {
    authContext(context) {
      const header = context.reply.request.headers.authorization;
      if (!header?.startsWith('Bearer ')) return {};
      try {
        const claims = jwt.verify(header.slice(7), key, { algorithms: ['HS256'] }) as { sub: string };
        return { sub: claims.sub };
      } catch {
        return {};
      }
    },
    async applyPolicy(_policy, _parent, _args, context) {
      return typeof (context.auth as { sub?: string } | undefined)?.sub === 'string';
    },
    authDirective: 'auth',
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stderr.write(`${JSON.stringify({ url, pid: process.pid, token: peerToken(key) })}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
