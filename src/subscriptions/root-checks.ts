/**
 * The viewer's checks on a subscription's root fields, on subscribe and again whenever its viewer
 * changes (connection.ts): the fields it may not read (the operation gate, from the schema and the
 * viewer alone), then the objects a root `@owner(loads: …)` names that it may not use (loaded
 * through the context). Nested fields are decided on each event by execution itself.
 */
import type { GraphQLError, GraphQLSchema } from 'graphql';
import type { App } from '../app';
import type { Viewer } from '../auth/viewer';
import { createOperationGate } from '../enforcement/operation-gate';
import { createContext } from '../graphql/apollo';
import type { CheckedOperation } from './read-operation';

export class RootChecks {
  private readonly gate = createOperationGate();

  constructor(
    private readonly app: App,
    private readonly schema: GraphQLSchema,
  ) {}

  /** Errors for the root fields of `subscription` that `viewer` may not read; empty while it may. */
  deniedFields(subscription: CheckedOperation, viewer: Viewer | null): GraphQLError[] {
    const { document, operation, variables } = subscription;
    return this.gate.deniedFields(this.schema, document, operation, viewer, variables).filter((error) => error.path?.length === 1);
  }

  /**
   * Errors for the root fields whose `@owner(loads: …)` object `viewer` may not use, loaded through
   * `context`. With `rethrow`, a load that failed as it says (the store's isUnreachable) throws.
   */
  async deniedObjects(
    subscription: CheckedOperation,
    viewer: Viewer | null,
    context: object,
    options: { readonly rethrow?: (error: unknown) => boolean } = {},
  ): Promise<GraphQLError[]> {
    const { document, operation, variables } = subscription;
    const denied = await this.gate.deniedOwnership(this.schema, document, operation, viewer, variables, context, options);
    return denied.filter((error) => error.path?.length === 1);
  }

  /**
   * Both, for a running subscription whose viewer changed: a role change (or the object's change)
   * that denies it ends the subscription as a denied root field does. Objects load afresh.
   */
  async denied(
    subscription: CheckedOperation,
    viewer: Viewer | null,
    socket: { readonly clientAddress: string; readonly requestId: string },
  ): Promise<readonly GraphQLError[]> {
    const fields = this.deniedFields(subscription, viewer);
    if (fields.length > 0) return fields;
    // The socket's request id: a policy that fails here logs the id the client's errors carry.
    const context = createContext(this.app, { viewer, user: null, clientAddress: socket.clientAddress, requestId: socket.requestId });
    return this.deniedObjects(subscription, viewer, context);
  }
}
