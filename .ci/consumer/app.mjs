// The application, as an ESM module: its SDL and resolvers (also what `gatehouse start app.mjs` loads).
import { readFileSync } from 'node:fs';

export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');
export const resolvers = {
  Query: {
    hello: () => 'hello from the consumer',
    secret: (_parent, _args, context) => ({ text: `only for ${context.viewer.id}` }),
  },
};
