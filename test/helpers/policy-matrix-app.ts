// The application the policy matrix (test/http/auth-matrix-policies.test.ts) serves: the invoices of
// policies-app.ts (a field policy with two alternatives, a type policy, root policies on a query and
// on a mutation with an AND list) plus reports, whose shapes those lack: a type policy and a field
// policy on the same field, a role beside a policy, a policy shared by type and field, and a root
// query and mutation with a role or an alternative, a policy on a mutation's result, a type policy
// through an interface, a report-only policy, a subscription. Its policies are not here: the matrix
// supplies them, one per name the map shows, with verdicts it sets per request. Every root mutation
// resolver counts its runs, so a mutation refused before anything ran shows it.
import * as invoicesApp from './policies-app';
import { MATRIX_ID } from './matrix-operations';

const reportsTypeDefs = /* GraphQL */ `
  enum Role {
    USER
    MODERATOR @includes(roles: [USER])
    ADMIN @includes(roles: [MODERATOR])
  }
  "Readable by its team; its cost also by finance, or by an auditor of the team, and only from MODERATOR up."
  type Report @policy(policies: [["report.team"]]) {
    id: ID
    title: String
    cost: Int @hasRole(role: MODERATOR) @policy(policies: [["report.finance"], ["report.audit", "report.team"]])
    "Open to anyone, inside a type with a policy."
    summary: String @public
    "Its policy reports, and denies nobody."
    draft: String @reportOnly @policy(policies: [["report.draft"]])
  }
  "Reached through an interface: the implementation's type policy applies, and the interface field's policy."
  interface Document {
    id: ID
    secret: String @policy(policies: [["doc.secret"]])
  }
  type Memo implements Document @policy(policies: [["memo.read"]]) {
    id: ID
    secret: String
  }
  "Exists only once the mutation ran: its policy is decided when it is read."
  type Receipt {
    id: ID
    amount: Int @policy(policies: [["receipt.amount"]])
  }
  extend type Query {
    reports: [Report!]! @auth
    report(id: ID!): Report @hasRole(role: MODERATOR) @policy(policies: [["report.read"]])
    documents: [Document!]! @public
  }
  extend type Mutation {
    archiveReport(id: ID!): Boolean @auth @policy(policies: [["report.archive"], ["report.admin"]])
    pay(amount: Int!): Receipt @auth
  }
  type Subscription {
    "One receipt per subscription, at once: for the watchers the policy names."
    receiptIssued: Receipt @auth @policy(policies: [["receipt.watch"]])
  }
`;

const report = (id: string) => ({ id, title: 'quarterly', cost: 5, summary: 'on track', draft: 'v2' });

/** The root mutation fields that ran, in order. */
export const ran: string[] = [];

type Resolver = (...args: any[]) => unknown;
type ResolverMap = Record<string, Record<string, Resolver>>;

const merged: ResolverMap = {
  Query: {
    ...(invoicesApp.resolvers.Query as Record<string, Resolver>),
    reports: () => [report('r1')],
    report: (_: unknown, { id }: { id: string }) => report(id),
    documents: () => [{ __typename: 'Memo', id: 'm1', secret: 's' }],
  },
  Document: { __resolveType: (document: { __typename: string }) => document.__typename },
  Subscription: {
    receiptIssued: {
      subscribe: async function* () {
        yield { id: 'r1', amount: 7 };
      },
      resolve: (receipt: unknown) => receipt,
    },
  } as never,
  Mutation: {
    ...(invoicesApp.resolvers.Mutation as Record<string, Resolver>),
    archiveReport: () => true,
    pay: (_: unknown, { amount }: { amount: number }) => ({ id: 'p1', amount }),
  },
};

/** `resolvers` with each root mutation resolver pushing its name onto `into` before it runs. */
export function countingMutations<T extends object>(resolvers: T, into: string[]): T {
  const mutations = (resolvers as Record<string, Record<string, Resolver> | undefined>)['Mutation'] ?? {};
  const counted = Object.entries(mutations).map(([name, resolve]) => [
    name,
    (...args: unknown[]) => {
      into.push(name);
      return resolve(...args);
    },
  ]);
  return { ...resolvers, Mutation: Object.fromEntries(counted) };
}

export const typeDefs = [invoicesApp.typeDefs, reportsTypeDefs];
export const resolvers = countingMutations(merged, ran);

/** The rows the matrix's operations find: every required ID argument is MATRIX_ID. */
export function seed(): void {
  invoicesApp.invoices.set(MATRIX_ID, { id: MATRIX_ID, createdBy: 'nobody', status: 'DRAFT', total: 10 });
}
