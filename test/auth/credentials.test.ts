import { readCredential } from '../../src/auth/credentials';

describe('readCredential', () => {
  it('is anonymous without either header', () => {
    expect(readCredential({})).toEqual({ kind: 'none' });
  });

  it('reads a bearer token, the scheme in any case', () => {
    expect(readCredential({ authorization: 'Bearer a.b.c' })).toEqual({ kind: 'jwt', token: 'a.b.c' });
    expect(readCredential({ authorization: 'bearer a.b.c' })).toEqual({ kind: 'jwt', token: 'a.b.c' });
  });

  it('reads an API key', () => {
    expect(readCredential({ 'x-api-key': 'gth_abc' })).toEqual({ kind: 'api-key', key: 'gth_abc' });
  });

  it.each([
    ['empty', ''],
    ['Bearer with nothing', 'Bearer'],
    ['Bearer and a space', 'Bearer '],
    ['two spaces', 'Bearer  a.b.c'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['trailing text', 'Bearer a.b.c extra'],
  ])('refuses a present but unusable Authorization header (%s)', (_name, authorization) => {
    expect(readCredential({ authorization })).toEqual({ kind: 'refused', problem: 'invalid_token' });
  });

  it('refuses an empty or repeated X-API-Key', () => {
    expect(readCredential({ 'x-api-key': '' })).toEqual({ kind: 'refused', problem: 'invalid_api_key' });
    expect(readCredential({ 'x-api-key': 'gth_a, gth_b' })).toEqual({ kind: 'refused', problem: 'invalid_api_key' });
    expect(readCredential({ 'x-api-key': ['gth_a', 'gth_b'] as unknown as string })).toEqual({
      kind: 'refused',
      problem: 'invalid_api_key',
    });
  });

  it('refuses two credentials at once', () => {
    expect(readCredential({ authorization: 'Bearer a.b.c', 'x-api-key': 'gth_abc' })).toEqual({
      kind: 'refused',
      problem: 'invalid_request',
    });
  });
});
