/**
 * The one place the WebSocket transport authenticates: the handshake's `connection_init` and every
 * re-check of a running socket's credential (connection.ts) come here, with the same
 * `authenticate` as HTTP, whose store lookups own freshness.
 */
import type { App } from '../app';
import { type Authentication, authenticate } from '../auth/authenticate';
import type { PresentedCredential } from '../auth/credentials';

export type { Authentication };
/** A credential that holds: its viewer, user and session. */
export type Authenticated = Extract<Authentication, { ok: true }>;

/** Authenticates `credential` as of now. Rejects when the store does not answer. */
export function authenticateSocket(app: App, credential: PresentedCredential): Promise<Authentication> {
  return authenticate(app, credential);
}
