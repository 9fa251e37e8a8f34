// The demo that `npm start` serves: gatehouse's accounts plus the notes example (examples/notes).
// Tests of gatehouse's own behaviour use its notes as ordinary application fields.
import type { GraphQLSchema } from 'graphql';
import * as notes from '../../examples/notes';
import { buildSchema, buildSourceSchema } from '../../src/graphql/schema';
import { createTestKit, type TestKit, type TestKitOptions } from '../../src/testkit';

export const demo = { typeDefs: notes.typeDefs, resolvers: notes.resolvers, loaders: notes.loaders, migrations: notes.migrations };

/** createTestKit with the notes example. */
export function createDemoKit(options: Omit<TestKitOptions, 'typeDefs' | 'resolvers'> = {}): Promise<TestKit> {
  return createTestKit({ ...demo, ...options });
}

export function buildDemoSchema(options: { strict?: boolean } = {}): GraphQLSchema {
  return buildSchema(demo, options);
}

export function buildDemoSourceSchema(): GraphQLSchema {
  return buildSourceSchema(demo);
}
