// The notes example as a gatehouse application: its SDL, resolvers and migrations, for
// createGatehouse, createTestKit, `gatehouse start` and `gatehouse migrate`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrations } from './migrations';
import { loaders, resolvers } from './resolvers';

/** schema.graphql beside this file (the build copies it next to the compiled JavaScript). */
export const typeDefs = readFileSync(join(__dirname, 'schema.graphql'), 'utf8');
export { loaders, migrations, resolvers };
