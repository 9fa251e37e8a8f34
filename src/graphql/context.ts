import type DataLoader from 'dataloader';
import type { Logger } from 'pino';
import type { App } from '../app';
import type { AuthContext, Viewer } from '../auth/viewer';
import type { UserRecord } from '../store/users';

/** The context of one GraphQL request. The directives read only `viewer`. */
export interface GraphQLContext extends AuthContext {
  readonly viewer: Viewer | null;
  /** The viewer's own record, read during authentication (null when anonymous). */
  readonly viewerUser: UserRecord | null;
  /** The session of the viewer's access token (its refresh-token family); null or absent otherwise. */
  readonly sessionId?: string | null;
  readonly app: App;
  /** Client address (from X-Forwarded-For only when TRUST_PROXY is on). */
  readonly clientAddress: string;
  readonly requestId: string;
  /** The request's logger (carries the request id); absent in hand-built test contexts. */
  readonly log?: Logger;
  /** Per-request batching, so a list of notes reads its authors in one query. */
  readonly loaders: { readonly userById: DataLoader<string, UserRecord | null> };
}
