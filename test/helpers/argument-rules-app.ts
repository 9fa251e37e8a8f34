// An application whose arguments and input fields carry rules and @fromViewer, for the tests of
// argument rules (test/enforcement/argument-rules.test.ts, test/http/argument-rules.test.ts). Every
// resolver that changes something bumps `sideEffects.count`, so a test can see that a refused
// mutation ran nothing.
import type { GatehouseContext } from '../../src/index';

export const typeDefs = /* GraphQL */ `
  input LineInput {
    description: String!
    "Only an ADMIN may give a line a discount."
    discount: Int @hasRole(role: ADMIN)
    "Only a credential holding invoices:annotate may annotate a line."
    note: String @requiresScopes(scopes: [["invoices:annotate"]])
  }

  input InvoiceInput {
    amount: Int!
    discount: Int @hasRole(role: ADMIN)
    lines: [LineInput!]
    "Defaulted: only supplying it needs the role."
    priority: Int = 1 @hasRole(role: ADMIN)
    "Always the caller."
    ownerId: ID @fromViewer(path: "id")
  }

  type Line {
    description: String!
    discount: Int
    note: String
  }

  type Invoice {
    id: ID!
    amount: Int!
    discount: Int
    priority: Int!
    ownerId: ID
    createdBy: ID!
    lines: [Line!]
  }

  type Echo {
    id: ID!
    email: String
    roles: [String!]
    scopes: [String!]
    tenant: String
  }

  extend type Query {
    invoices(includeDeleted: Boolean @hasRole(role: ADMIN), first: Int = 10 @auth, raw: Boolean @credentials(allow: [JWT, EXTERNAL])): [Invoice!] @public
    whoAmI(
      id: ID! @fromViewer(path: "id")
      email: String @fromViewer(path: "email")
      roles: [String!] @fromViewer(path: "roles")
      scopes: [String!] @fromViewer(path: "scopes")
      tenant: String @fromViewer(path: "claims.tenant")
    ): Echo @public
    tenantOnly(tenant: String! @fromViewer(path: "claims.tenant")): String @public
    myOrganizationIds(ids: [ID!]! @fromViewer(path: "organizationIds")): [ID!] @auth
  }

  extend type Mutation {
    createInvoice(input: InvoiceInput!, createdBy: ID! @fromViewer(path: "id")): Invoice @auth
  }
`;

/** How many times a resolver that changes something ran. */
export const sideEffects = { count: 0 };

interface InvoiceArgs {
  input: { amount: number; discount?: number | null; priority: number; ownerId?: string | null; lines?: object[] | null };
  createdBy: string;
}

export const resolvers = {
  Query: {
    invoices: (_: unknown, args: { includeDeleted?: boolean }) =>
      args.includeDeleted ? [{ id: 'deleted', amount: 0, priority: 1, createdBy: 'x' }] : [],
    whoAmI: (_: unknown, args: Record<string, unknown>) => args,
    tenantOnly: (_: unknown, args: { tenant: string }) => args.tenant,
    myOrganizationIds: (_: unknown, args: { ids: string[] }) => args.ids,
  },
  Mutation: {
    createInvoice: (_: unknown, args: InvoiceArgs, _context: GatehouseContext) => {
      sideEffects.count++;
      return { id: `invoice-${sideEffects.count}`, ...args.input, createdBy: args.createdBy };
    },
  },
};
