/**
 * The close codes the WebSocket transport ends a socket with. The 4xxx codes are graphql-ws's and
 * mean the client did something wrong and should not retry unchanged; the 1xxx are RFC 6455's.
 */

/** graphql-transport-ws's code for an unusable credential; also what an expired or revoked one ends with. */
export const CLOSE_UNAUTHORIZED = 4401;
/** A socket over one of the socket caps (RFC 6455: policy violation). */
export const CLOSE_TOO_MANY_SOCKETS = 1008;
/**
 * The database does not answer during the handshake, or the client does not read what it is sent
 * (SUBSCRIPTION_SEND_BUFFER_MAX_BYTES): RFC 6455's "try again later", which clients treat as worth
 * reconnecting.
 */
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** Every socket when the server shuts down (RFC 6455: going away); clients reconnect elsewhere. */
export const CLOSE_GOING_AWAY = 1001;
