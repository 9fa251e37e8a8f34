// The reference: Apollo Server 5's own standalone server with a one-field schema and nothing else.
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';

async function main(): Promise<void> {
  const server = new ApolloServer({
    typeDefs: 'type Query { publicMessage: String! }',
    resolvers: { Query: { publicMessage: () => 'Welcome to gatehouse. Sign up, log in, and call `me` with your token.' } },
  });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: '127.0.0.1' } });
  process.stderr.write(`${JSON.stringify({ url: url.replace(/\/$/, ''), pid: process.pid })}\n`);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

void main();
