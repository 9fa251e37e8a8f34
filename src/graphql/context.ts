import type DataLoader from 'dataloader';
import type { Logger } from 'pino';
import type { App } from '../app';
import type { GatehouseContext } from '../context';
import type { UserRecord } from '../store/users';

export type { GatehouseContext, GatehouseUser } from '../context';

/** The context of one GraphQL request inside gatehouse: the public part and what gatehouse's own resolvers use. */
export interface GraphQLContext extends GatehouseContext {
  /** The viewer's own record, read during authentication (null when anonymous). */
  readonly viewerUser: UserRecord | null;
  /** The session of the viewer's access token (its refresh-token family); null or absent otherwise. */
  readonly sessionId?: string | null;
  readonly app: App;
  /** The request's logger (carries the request id); absent in hand-built test contexts. */
  readonly log?: Logger;
  /** Per-request batching, so a list of records reads its users in one query. */
  readonly loaders: { readonly userById: DataLoader<string, UserRecord | null> };
}
