// The console's one way to the server: gatehouse's own GraphQL API, on this origin, with the
// signed-in administrator's access token. The tokens live in this module's memory only (never in
// localStorage, sessionStorage or a cookie): a reload or a closed tab signs out.

const ENDPOINT = '/graphql';

/** The signed-in session: { accessToken, refreshToken, user } or null. */
let session = null;
let onSignedOut = () => {};

/** An error the API answered: `code` is the first error's extensions.code (FORBIDDEN, BAD_USER_INPUT, …). */
export class ApiError extends Error {
  constructor(message, code, errors) {
    super(message);
    this.code = code;
    this.errors = errors;
  }
}

export function currentUser() {
  return session?.user ?? null;
}

/** Called when the session ends (sign-out, or a refused token that could not be refreshed). */
export function whenSignedOut(listener) {
  onSignedOut = listener;
}

async function post(query, variables, accessToken) {
  const headers = { 'content-type': 'application/json' };
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  let response;
  try {
    response = await fetch(ENDPOINT, { method: 'POST', headers, body: JSON.stringify({ query, variables }), credentials: 'omit' });
  } catch {
    throw new ApiError('The server did not answer.', 'NETWORK');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server answered ${response.status} without a GraphQL body.`, 'HTTP');
  }
  return { status: response.status, body };
}

function failure(body) {
  const first = body.errors?.[0];
  const code = first?.extensions?.code ?? 'ERROR';
  return new ApiError(first?.message ?? 'The request failed.', code, body.errors);
}

/**
 * Runs an operation as the signed-in administrator and returns its `data`. Any error is thrown as
 * an ApiError (the console shows no partial data). A 401 (token expired or ended) is retried once
 * after a refresh; when that fails too the session ends.
 */
export async function gql(query, variables = {}) {
  if (session === null) throw new ApiError('Not signed in.', 'UNAUTHENTICATED');
  let answer = await post(query, variables, session.accessToken);
  if (answer.status === 401 && (await refresh())) answer = await post(query, variables, session.accessToken);
  if (answer.status === 401) {
    end();
    throw failure(answer.body);
  }
  if (answer.body.errors?.length) throw failure(answer.body);
  return answer.body.data;
}

const SESSION_FIELDS = 'accessToken refreshToken user { id email name role }';

export async function signIn(email, password) {
  const { body } = await post(
    `mutation SignIn($email: String!, $password: String!) { login(email: $email, password: $password) { ${SESSION_FIELDS} } }`,
    {
      email,
      password,
    },
  );
  if (body.errors?.length || !body.data?.login) throw failure(body);
  session = body.data.login;
  return session.user;
}

async function refresh() {
  if (session === null) return false;
  const { body } = await post(`mutation Refresh($token: String!) { refreshToken(refreshToken: $token) { ${SESSION_FIELDS} } }`, {
    token: session.refreshToken,
  });
  if (!body.data?.refreshToken) return false;
  session = body.data.refreshToken;
  return true;
}

function end() {
  session = null;
  onSignedOut();
}

/** Ends this session on the server (its refresh token and access tokens) and forgets it here. */
export async function signOut() {
  const ending = session;
  session = null;
  if (ending !== null) {
    await post(
      'mutation SignOut($token: String!) { logout(refreshToken: $token) }',
      { token: ending.refreshToken },
      ending.accessToken,
    ).catch(() => {});
  }
  end();
}
