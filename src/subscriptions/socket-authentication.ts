/**
 * The one place the WebSocket transport authenticates: the handshake's `connection_init` and every
 * re-check of a running socket's credential (connection.ts) come here, with the same
 * `authenticateCaller` as HTTP (src/services/authentication.ts: the decision, then its writes), whose
 * store lookups own freshness.
 */
import type { App } from '../app';
import type { Authentication } from '../auth/authenticate';
import type { PresentedCredential } from '../auth/credentials';
import { authenticateCaller } from '../services/authentication';

export type { Authentication };
/** A credential that holds: its viewer, user and session. */
export type Authenticated = Extract<Authentication, { ok: true }>;

/** Authenticates `credential` as of now. Rejects when the store does not answer. */
export function authenticateSocket(app: App, credential: PresentedCredential, requestId?: string): Promise<Authentication> {
  return authenticateCaller(app, credential, requestId);
}
