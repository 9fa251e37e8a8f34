// A small application served as a gatehouse subgraph (test/graphql/subgraph.test.ts and the gateway
// test): `Document`, an entity of its own whose fields carry every kind of rule decided on the
// object (@owner, @policy) and federation's own directive names (@authenticated, @requiresScopes).
import type { Policies } from '../../src/index';

export interface DocumentRow {
  readonly id: string;
  readonly title: string;
  readonly body: string;
  readonly ownerId: string;
  readonly reviewerId: string;
}

/** The documents, by id; a test fills it with the users it signed up. */
export const documents = new Map<string, DocumentRow>();

export interface LedgerRow {
  readonly id: string;
  readonly organizationId: string;
  readonly total: number;
}

/** An organization's ledgers, by id: an entity readable by the organization's members only. */
export const ledgers = new Map<string, LedgerRow>();

/**
 * The SDL with federation's names (`subgraph: true`) or gatehouse's (`{ authDirectives: 'gatehouse' }`,
 * which has no `@authenticated`: `@auth` says the same).
 */
export function documentTypeDefs(names: 'federation' | 'gatehouse'): string {
  return names === 'federation' ? typeDefs : typeDefs.replace('@authenticated', '@auth');
}

export const typeDefs = /* GraphQL */ `
  type Document @key(fields: "id") {
    id: ID!
    title: String!
    "Its owner, or an ADMIN."
    body: String @owner(field: "ownerId", orRole: ADMIN)
    "Its reviewer (a policy on the loaded object)."
    reviewNote: String @policy(policies: [["document.reviewer"]])
    "Federation's name for a signed-in caller."
    summary: String @authenticated
    "Federation's OR-of-AND scopes."
    stats: String @requiresScopes(scopes: [["docs:stats", "docs:read"], ["docs:admin"]])
  }
  "An organization's own entity: its members read it, through _entities too."
  type Ledger @key(fields: "id") @inOrganization(field: "organizationId") {
    id: ID!
    total: Int!
  }
  extend type Query {
    document(id: ID!): Document @public
    "The caller's documents: ownerId comes from the credential, never from the client (nor the router)."
    myDocuments(ownerId: ID! @fromViewer(path: "id")): [Document!]! @auth
  }
`;

export const resolvers = {
  Query: {
    document: (_parent: unknown, args: { id: string }) => documents.get(args.id) ?? null,
    myDocuments: (_parent: unknown, args: { ownerId: string }) => [...documents.values()].filter((d) => d.ownerId === args.ownerId),
  },
  Document: {
    // The stored row, never the representation the caller sent (its ownerId is not believed).
    __resolveReference: (reference: { id: string }) => documents.get(reference.id) ?? null,
    reviewNote: (row: DocumentRow) => `reviewed ${row.title}`,
    summary: (row: DocumentRow) => `about ${row.title}`,
    stats: () => '3 reads',
  },
  Ledger: {
    // The stored row: the organization is the ledger's, never the one a representation names.
    __resolveReference: (reference: { id: string }) => ledgers.get(reference.id) ?? null,
  },
};

export const policies: Policies = {
  'document.reviewer': ({ viewer, object }) => viewer !== null && (object as DocumentRow).reviewerId === viewer.id,
};
