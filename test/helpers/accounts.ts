/*
 * The account operations every HTTP-level test sends (sign up, log in, refresh, API keys, `me`),
 * callers signed up through them, and the contract's refusal of an unusable credential. One copy
 * of each, so a change to the account API is made in one place in the tests too.
 */
import { randomUUID } from 'node:crypto';
import type { GqlResponse, HttpHarness } from './http';

export const PASSWORD = 'correct horse battery staple';

export const SIGN_UP = /* GraphQL */ `
  mutation SignUp($email: String!, $password: String!, $name: String) {
    signUp(email: $email, password: $password, name: $name) { accessToken refreshToken expiresIn user { id email name role } }
  }
`;
export const LOGIN = /* GraphQL */ `
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) { accessToken refreshToken user { id email role } }
  }
`;
export const REFRESH = /* GraphQL */ `
  mutation Refresh($refreshToken: String!) {
    refreshToken(refreshToken: $refreshToken) { accessToken refreshToken user { id } }
  }
`;
export const CREATE_API_KEY = /* GraphQL */ `
  mutation CreateKey($name: String!, $expiresInDays: Int) {
    createApiKey(name: $name, expiresInDays: $expiresInDays) { secret apiKey { id name prefix } }
  }
`;
export const REVOKE_API_KEY = /* GraphQL */ `
  mutation Revoke($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }
`;
export const ME = '{ me { id email role } }';

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomUUID()}@example.test`;
}

/** The `extensions.code` of each error, in order. */
export function codes(response: GqlResponse): string[] {
  return (response.body.errors ?? []).map((error) => String(error.extensions?.['code']));
}

export interface SignedUp {
  readonly id: string;
  readonly email: string;
  readonly accessToken: string;
  readonly refreshToken: string;
}

export async function signUp(h: HttpHarness, email = uniqueEmail(), password = PASSWORD): Promise<SignedUp> {
  const response = await h.gql(SIGN_UP, { variables: { email, password } });
  expect(response.status).toBe(200);
  expect(response.body.errors).toBeUndefined();
  const payload = response.body.data?.['signUp'];
  return { id: payload.user.id, email, accessToken: payload.accessToken, refreshToken: payload.refreshToken };
}

export async function createKey(h: HttpHarness, accessToken: string, expiresInDays?: number): Promise<{ id: string; secret: string }> {
  const response = await h.gql(CREATE_API_KEY, {
    variables: { name: 'test key', ...(expiresInDays === undefined ? {} : { expiresInDays }) },
    headers: { authorization: `Bearer ${accessToken}` },
  });
  expect(response.status).toBe(200);
  expect(response.body.errors).toBeUndefined();
  const created = response.body.data?.['createApiKey'];
  return { id: created.apiKey.id, secret: created.secret };
}

/**
 * The refusal of a present-but-unusable credential (docs/contract.md, "Credentials"): HTTP 401, a
 * WWW-Authenticate challenge, one UNAUTHENTICATED error, no `data`, JSON, and nothing that was sent
 * echoed back.
 */
export function expectRefused(response: GqlResponse, ...sent: string[]): void {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toEqual(expect.stringMatching(/\S/));
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.body).not.toHaveProperty('data');
  expect(response.body.errors).toHaveLength(1);
  expect(response.body.errors?.[0]?.extensions?.['code']).toBe('UNAUTHENTICATED');
  for (const value of sent) if (value !== '') expect(response.text).not.toContain(value);
}
