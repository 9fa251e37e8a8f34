// An application whose rules need code: invoices that their creator may edit while DRAFT, totals only
// the creator or an ADMIN may read (a plain policy), a batched policy over a long list (one load per
// request tick, counted), and policies that throw or reject. Exported as `gatehouse start` takes it.
import { hasRole, type Policies, type PolicyInput } from '../../src/index';

export interface Invoice {
  readonly id: string;
  readonly createdBy: string;
  status: 'DRAFT' | 'SENT';
  total: number;
}

/** What the tests read: calls, loads and side effects. */
export const counters = { edits: 0, batchCalls: 0, batchedInputs: 0, ownerCalls: 0, editableLoads: 0 };

export const invoices = new Map<string, Invoice>();

export const typeDefs = /* GraphQL */ `
  type Invoice {
    id: ID!
    status: String!
    total: Int @policy(policies: [["invoice.creator"], ["admin"]])
  }
  "Visible only where the batched policy says so."
  type Ledger @policy(policies: [["ledger.visible"]]) { id: ID amount: Int }
  extend type Query {
    invoice(id: ID!): Invoice @public
    "Names the scopes keys may be made with (gatehouse knows the scopes the schema names)."
    invoiceCount: Int @requiresScopes(scopes: [["invoices:read"], ["invoices:write"]])
    ledgers(count: Int!): [Ledger!]! @public
    boom: String @public @policy(policies: [["throws"]])
    rejected: String @public @policy(policies: [["rejects"]])
  }
  extend type Mutation {
    editInvoice(id: ID!, total: Int!): Invoice @auth @policy(policies: [["invoice.editable", "scope.invoices"], ["admin"]])
  }
`;

export const resolvers = {
  Query: {
    invoice: (_: unknown, { id }: { id: string }) => invoices.get(id) ?? null,
    ledgers: (_: unknown, { count }: { count: number }) => Array.from({ length: count }, (_u, i) => ({ id: `l${i}`, amount: i })),
    invoiceCount: () => invoices.size,
    boom: () => 'never',
    rejected: () => 'never',
  },
  Mutation: {
    editInvoice: (_: unknown, { id, total }: { id: string; total: number }) => {
      counters.edits++;
      const invoice = invoices.get(id);
      if (invoice !== undefined) invoice.total = total;
      return invoice ?? null;
    },
  },
};

export const policies: Policies = {
  'invoice.creator': ({ viewer, object }: PolicyInput<Invoice>) => {
    counters.ownerCalls++;
    return object?.createdBy === viewer?.id;
  },
  admin: ({ viewer }) => hasRole(viewer, 'ADMIN'),
  // A root policy: no object, the arguments name it (a database read in a real application).
  'invoice.editable': async ({ viewer, args }) => {
    counters.editableLoads++;
    const invoice = invoices.get(String(args['id']));
    return invoice !== undefined && invoice.createdBy === viewer?.id && invoice.status === 'DRAFT';
  },
  // A credential made with scopes must hold invoices:write; a session holds every scope.
  'scope.invoices': ({ viewer }) => viewer?.scopes === undefined || viewer.scopes.includes('invoices:write'),
  // Every ledger of a tick in one call: an ADMIN sees all, another signed-in caller the even ids.
  'ledger.visible': {
    batch: async (inputs) => {
      counters.batchCalls++;
      counters.batchedInputs += inputs.length;
      return inputs.map(
        ({ viewer, object }) => hasRole(viewer, 'ADMIN') || (viewer !== null && Number(String(object.id).slice(1)) % 2 === 0),
      );
    },
  },
  throws: () => {
    throw new Error('policy internals: SELECT secret FROM vault');
  },
  rejects: async () => Promise.reject(new Error('policy internals: rejected')),
};
