/*
 * Helpers only the security suite uses; the account operations and HTTP helpers every test shares
 * are in test/helpers/accounts.ts and test/helpers/http.ts. Every test in test/security talks to a
 * real gatehouse HTTP server listening on 127.0.0.1 (test/helpers/http.ts startHttpServer) with
 * fetch or raw sockets; nothing here talks to anything but loopback.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import type { HttpHarness } from '../helpers/http';

export async function countUsersWithEmail(h: HttpHarness, email: string): Promise<number> {
  const rows = await h.store.db.selectFrom('users').select('id').where('email_normalized', '=', email.toLowerCase()).execute();
  return rows.length;
}

export async function countRows(
  h: HttpHarness,
  table: 'users' | 'notes' | 'api_keys' | 'refresh_tokens' | 'login_failures' | 'audit_events',
): Promise<number> {
  const row = await (h.store.db as Kysely<any>)
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function b64url(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

/**
 * A JWT built by hand, for shapes jsonwebtoken refuses to sign (exp as a string, `alg: none`,
 * an HMAC keyed with a PEM). `hmacKey` null leaves the signature to the caller.
 */
export function handMadeJwt(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  hmacKey: string | Buffer | null,
  hmac = 'sha256',
): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  if (hmacKey === null) return signingInput;
  return `${signingInput}.${createHmac(hmac, hmacKey).update(signingInput).digest('base64url')}`;
}

/** A tiny HTTP server on 127.0.0.1 that records every request it gets (a JWKS / x5u trap). */
export interface Recorder {
  readonly url: string;
  readonly hits: string[];
  close(): Promise<void>;
}

export async function startRecorder(): Promise<Recorder> {
  const hits: string[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    hits.push(`${request.method} ${request.url}`);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"keys":[]}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface RawExchange {
  /** Everything the server wrote before it closed the connection (or before `waitMs` ran out). */
  readonly received: string;
  /** The status code of the first response line, or null when the server wrote nothing. */
  readonly status: number | null;
  /** True when the server closed the connection. */
  readonly closed: boolean;
  /** Milliseconds from connect to close (or to the end of the wait). */
  readonly ms: number;
}

/**
 * Talks raw HTTP/1.1 to `url`: writes `chunks` one after the other (`gapMs` between them), then
 * waits until the server closes the connection or `waitMs` has passed since connecting.
 */
export async function rawExchange(
  url: string,
  chunks: readonly (string | Buffer)[],
  { gapMs = 0, waitMs = 5_000 } = {},
): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  if (hostname !== '127.0.0.1') throw new Error(`raw sockets only to loopback, got ${hostname}`);
  const started = Date.now();
  const socket = connect({ host: '127.0.0.1', port: Number(port) });
  let received = '';
  let closed = false;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined); // EPIPE / ECONNRESET when the server gives up on us: that is the point
  const closedAt = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const writer = (async () => {
    for (const [index, chunk] of chunks.entries()) {
      if (closed) return;
      if (index > 0 && gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      if (closed) return;
      socket.write(chunk);
    }
  })();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, waitMs - (Date.now() - started)))));
  await Promise.race([closedAt, deadline]);
  clearTimeout(timer);
  const ms = Date.now() - started;
  const closedByServer = closed;
  const receivedBeforeUs = received;
  socket.destroy();
  await writer.catch(() => undefined);
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(receivedBeforeUs);
  return { received: receivedBeforeUs, status: match ? Number(match[1]) : null, closed: closedByServer, ms };
}
