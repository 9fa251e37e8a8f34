// The floor under gatehouse's HTTP stack: Apollo Server 5 on Fastify 5 (@as-integrations/fastify,
// as gatehouse serves it) with nothing of gatehouse's: the caller's HS256 JWT checked once per
// request in the context function with jsonwebtoken and a KeyObject (as the Mercurius peer does),
// `me` answering from the token's `sub` and refusing without one. No limits, no user lookup, no
// security headers. It shows how much of the gap to Mercurius is the framework rather than gatehouse.
// Prints one JSON line {"url", "pid", "token"} on stderr when it listens.
import { createSecretKey } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify from 'fastify';
import { GraphQLError } from 'graphql';
import jwt from 'jsonwebtoken';
import { BENCH_JWT_SECRET, peerToken } from './peer-token';

interface Context {
  readonly sub: string | null;
}

async function main(): Promise<void> {
  const key = createSecretKey(Buffer.from(BENCH_JWT_SECRET));
  const app = Fastify({ logger: false });
  const apollo = new ApolloServer<Context>({
    typeDefs: 'type User { id: ID! } type Query { me: User publicMessage: String! }',
    resolvers: {
      Query: {
        me: (_root: unknown, _args: unknown, context: Context) => {
          if (context.sub === null) throw new GraphQLError('Sign in.', { extensions: { code: 'UNAUTHENTICATED' } });
          return { id: context.sub };
        },
        publicMessage: () => 'Welcome.',
      },
    },
    plugins: [fastifyApolloDrainPlugin(app)],
  });
  await apollo.start();
  await app.register(fastifyApollo(apollo), {
    context: async (request) => {
      const header = request.headers.authorization;
      if (!header?.startsWith('Bearer ')) return { sub: null };
      try {
        return { sub: (jwt.verify(header.slice(7), key, { algorithms: ['HS256'] }) as { sub: string }).sub };
      } catch {
        return { sub: null };
      }
    },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stderr.write(`${JSON.stringify({ url, pid: process.pid, token: peerToken(key) })}\n`);
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
