/**
 * The two decisions made when a WebSocket arrives, as pure functions: may this `Origin` open one
 * (cross-site WebSocket hijacking: browsers send cookies-free upgrades from any page, and only the
 * `Origin` header tells whose page it was), and which credential did `connection_init` carry.
 */
import { type PresentedCredential, readCredential } from '../auth/credentials';

/**
 * True when `origin` is absent (not a browser), this server's own origin (`Host` as sent, either
 * scheme), or one of `allowed` (CORS_ORIGINS). Everything else is refused before the upgrade.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  if (host === undefined || host === '') return false;
  const lower = host.toLowerCase();
  return origin === `http://${lower}` || origin === `https://${lower}`;
}

/**
 * The credential in `connection_init`'s payload: `{ authorization: "Bearer …" }` or
 * `{ "x-api-key": "…" }` (names in any case), judged exactly like the HTTP headers of the same
 * names. A value that is not a string, or a name given twice in different cases, is refused, never
 * taken as anonymous. Other entries are ignored.
 */
export function readConnectionCredential(payload: Readonly<Record<string, unknown>> | undefined): PresentedCredential {
  const headers: Record<string, string> = {};
  if (payload === undefined) return readCredential(headers);
  for (const [name, value] of Object.entries(payload)) {
    const lower = name.toLowerCase();
    if (lower !== 'authorization' && lower !== 'x-api-key') continue;
    if (typeof value !== 'string' || lower in headers) {
      return { kind: 'refused', problem: lower === 'authorization' ? 'invalid_token' : 'invalid_api_key' };
    }
    headers[lower] = value;
  }
  return readCredential(headers);
}

/** The `exp` (seconds) of a JWT's payload, read without checking it (it has been verified already); undefined if none. */
export function tokenExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}
