// Type-checked only, with `"moduleResolution": "node"` (node10, which ignores `exports`): both
// entry points must resolve, `gatehouse/testing`, `gatehouse/cedar` and `gatehouse/apollo` through `typesVersions`.
import { createGatehouse, type GatehouseContext } from 'gatehouse';
import { createTestKit, type TestKit, testContext } from 'gatehouse/testing';
import { cedarPolicies } from 'gatehouse/cedar';
import { gatehouseForApollo } from 'gatehouse/apollo';

const context: GatehouseContext = testContext({ id: 'u1', roles: ['USER'], via: 'jwt' });
export const started: Promise<TestKit> = createTestKit({ typeDefs: 'extend type Query { ping: String @public }' });
export const made = createGatehouse;
export const viewer = context.viewer;
export const cedar = cedarPolicies;
export const forApollo = gatehouseForApollo;
