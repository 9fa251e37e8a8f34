// Decides what a request presented: no credential, a bearer token, an API key, or something
// malformed or doubled, which is refused and never mistaken for an anonymous caller. Pure: reads
// headers, checks nothing against the store.
import type { IncomingHttpHeaders } from 'node:http';
import type { CredentialProblem } from '../errors';

/** What a request presented, before anything is checked against the database. */
export type PresentedCredential =
  | { readonly kind: 'none' }
  | { readonly kind: 'jwt'; readonly token: string }
  | { readonly kind: 'api-key'; readonly key: string }
  | { readonly kind: 'refused'; readonly problem: CredentialProblem };

/** One `Bearer` and one token, separated by one space (RFC 6750's b64token). */
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
const API_KEY_CHARS = /^[\x21-\x7e]{1,256}$/;

/**
 * Reads the credential from request headers. Pure. A header that is present but unusable, or both
 * headers at once, is refused: never treated as anonymous. (Node keeps the first of repeated
 * Authorization headers; repeated X-API-Key headers arrive joined and fail the character check.)
 */
export function readCredential(headers: IncomingHttpHeaders): PresentedCredential {
  const authorization = headers.authorization;
  const apiKey = headers['x-api-key'];
  if (authorization !== undefined && apiKey !== undefined) return { kind: 'refused', problem: 'invalid_request' };
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    return match === null ? { kind: 'refused', problem: 'invalid_token' } : { kind: 'jwt', token: match[1] as string };
  }
  if (apiKey !== undefined) {
    if (typeof apiKey !== 'string' || !API_KEY_CHARS.test(apiKey)) return { kind: 'refused', problem: 'invalid_api_key' };
    return { kind: 'api-key', key: apiKey };
  }
  return { kind: 'none' };
}
