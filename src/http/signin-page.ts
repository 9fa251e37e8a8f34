import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { GRAPHQL_PATH, type RouteModule, SIGN_IN_PATH } from './route';

/** The mutation the sign-in page sends (exported so tests run exactly what the page runs). */
export const SIGN_IN_MUTATION =
  'mutation SignIn($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken expiresIn user { email role } } }';

/** The mutation the page sends to create an account (development only, like the page). */
export const SIGN_UP_MUTATION =
  'mutation SignUp($email: String!, $password: String!) { signUp(email: $email, password: $password) { accessToken expiresIn user { email role } } }';

/** What Sandbox opens with once signed in. */
export const SIGNED_IN_DOCUMENT = `# Signed in: every operation from here sends your token.\nquery Me {\n  me { id email role }\n}\n`;

/** Where Sandbox's own script comes from: the same CDN Apollo's landing page loads it from. */
const SANDBOX_SCRIPT = 'https://embeddable-sandbox.cdn.apollographql.com/_latest/embeddable-sandbox.umd.production.min.js';

/**
 * Where Sandbox's iframe comes from: the embeddable Sandbox's entry in the frame-src list of Apollo's
 * landing page plugin (@apollo/server, plugin/landingPage/default), which also names the embeddable
 * Explorer and Apollo's own development host, neither of which this page opens.
 */
const SANDBOX_FRAME_ORIGIN = 'https://sandbox.embed.apollographql.com';

const PAGE_STYLE = `
  body { font-family: system-ui, sans-serif; margin: 0; color: #1b2240; }
  main { max-width: 28rem; margin: 3rem auto; padding: 0 1rem; }
  label { display: block; margin-top: 1rem; font-weight: 600; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; margin-top: .25rem; }
  button { margin-top: 1.25rem; padding: .6rem 1.2rem; font-size: 1rem; }
  #message { margin-top: 1rem; white-space: pre-wrap; overflow-wrap: anywhere; }
  #message.error { color: #b00020; }
  .buttons { display: flex; flex-wrap: wrap; gap: .75rem; }
  :focus-visible { outline: 3px solid #ffb000; outline-offset: 2px; }
  pre { white-space: pre-wrap; word-break: break-all; background: #f1f3f8; padding: .5rem; }
  code { word-break: break-all; background: #f1f3f8; padding: .1rem .25rem; }
  #sandbox { position: absolute; inset: 0; display: none; }
  #sandbox iframe { width: 100%; height: 100%; border: none; }
`;

/** The page's behaviour; its configuration comes from a JSON data block, so this text never varies. */
const PAGE_SCRIPT = `
  var config = JSON.parse(document.getElementById('gatehouse-signin-config').textContent);
  var message = document.getElementById('message');
  document.getElementById('origin').textContent = window.location.origin;
  function show(text, isError) { message.textContent = text; message.className = isError ? 'error' : ''; }
  function openSandbox(token) {
    var script = document.createElement('script');
    script.src = config.sandboxScript;
    script.onload = function () {
      document.getElementById('form-page').style.display = 'none';
      document.getElementById('sandbox').style.display = 'block';
      new window.EmbeddedSandbox({
        target: '#sandbox',
        initialEndpoint: window.location.origin + config.graphqlPath,
        endpointIsEditable: false,
        initialState: { document: config.document, sharedHeaders: { Authorization: 'Bearer ' + token }, pollForSchemaUpdates: false, includeCookies: false },
        // Sandbox would otherwise add a style element to size its iframe, which style-src refuses;
        // the page's own style does that (as Apollo's landing page does, with the same option).
        allowDynamicStyles: false,
      });
    };
    script.onerror = function () {
      show(message.textContent + '\\n\\nApollo Sandbox could not be loaded from its CDN (offline?). Use the token above with any GraphQL client.', true);
    };
    document.head.appendChild(script);
  }
  function send(mutation, field) {
    show(field === 'signUp' ? 'Creating the account…' : 'Signing in…');
    fetch(config.graphqlPath, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: mutation, variables: { email: document.getElementById('email').value, password: document.getElementById('password').value } }),
    })
      .then(function (response) { return response.json(); })
      .then(function (body) {
        var session = body.data && body.data[field];
        if (!session) { show((body.errors && body.errors[0] && body.errors[0].message) || 'Sign-in failed.', true); return; }
        show('Signed in as ' + session.user.email + ' (' + session.user.role + '). Your access token (valid ' + session.expiresIn + ' s):\\n' + session.accessToken +
          '\\n\\nWith curl:\\ncurl -s ' + window.location.origin + config.graphqlPath + " -H 'content-type: application/json' -H 'authorization: Bearer " + session.accessToken + "' -d '" + JSON.stringify({ query: '{ me { id email role } }' }) + "'");
        openSandbox(session.accessToken);
      })
      .catch(function () { show('The server did not answer.', true); });
  }
  document.getElementById('signin').addEventListener('submit', function (event) {
    event.preventDefault();
    send(config.mutation, 'login');
  });
  document.getElementById('signup').addEventListener('click', function () {
    if (!document.getElementById('signin').reportValidity()) return;
    send(config.signUpMutation, 'signUp');
  });
`;

/** A CSP source that allows an inline element whose text is exactly `text`. */
function sha256Source(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/**
 * The page's Content-Security-Policy, sent as a header (src/http/hooks.ts removes the API's only from
 * Apollo's landing page). Its inline script and style are allowed by hash rather than by nonce: the
 * page is the same bytes on every response, so a hash pins exactly that text, costs nothing per
 * response, and leaves no token in the page that injected markup could reuse. The JSON data block
 * is not script (the browser never runs it), so it needs no source. Sandbox's own script comes from
 * its CDN host, its UI from its iframe host; the page's fetch (and Sandbox's requests, which the
 * embedding page sends) go to this origin.
 */
const SIGN_IN_PAGE_POLICY = [
  "default-src 'none'",
  `script-src ${sha256Source(PAGE_SCRIPT)} ${new URL(SANDBOX_SCRIPT).origin}`,
  `style-src ${sha256Source(PAGE_STYLE)}`,
  "connect-src 'self'",
  `frame-src ${SANDBOX_FRAME_ORIGIN}`,
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "object-src 'none'",
].join('; ');

/**
 * A development page that signs in with email and password and opens Apollo Sandbox on GraphQL with
 * `Authorization: Bearer <token>` set, so a browser user never copies tokens around. The token is
 * also shown, for other clients. Never served in production (no landing page there either).
 */
function page(graphqlPath: string, initialDocument: string, adminConsolePath: string | null): string {
  const config = JSON.stringify({
    graphqlPath,
    mutation: SIGN_IN_MUTATION,
    signUpMutation: SIGN_UP_MUTATION,
    sandboxScript: SANDBOX_SCRIPT,
    document: initialDocument,
  }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>gatehouse: sign in to Sandbox</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<main id="form-page">
  <h1>Sign in to try the API</h1>
  <p>Signs in with <code>login</code> and opens Apollo Sandbox with <code>Authorization: Bearer &lt;your token&gt;</code> set.
     No account yet? Type an email and a password and choose <strong>Create account</strong> (development only).</p>
  <form id="signin">
    <label for="email">Email</label>
    <input id="email" name="email" type="email" autocomplete="username" required>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" required minlength="8">
    <div class="buttons">
      <button type="submit">Sign in and open Sandbox</button>
      <button type="button" id="signup">Create account</button>
    </div>
  </form>
  <div id="message" role="status"></div>
  <h2>Other ways in</h2>
  <ul>
    ${adminConsolePath === null ? '' : `<li><a href="${adminConsolePath}">Admin console</a> (an ADMIN's email and password)</li>`}
    <li><a href="${graphqlPath}">Apollo Sandbox</a> (loads from Apollo's CDN; offline it cannot)</li>
    <li>curl, with nothing else: <pre>curl -s <span id="origin">http://localhost:4000</span>${graphqlPath} -H 'content-type: application/json' -d '{"query":"{ publicMessage }"}'</pre></li>
  </ul>
</main>
<div id="sandbox"></div>
<script id="gatehouse-signin-config" type="application/json">${config}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/** Serves the sign-in page at `path` (development only: the caller decides). */
export function registerSignInPage(
  fastify: FastifyInstance,
  options: { path: string; graphqlPath: string; adminConsolePath?: string | null },
): void {
  const html = page(options.graphqlPath, SIGNED_IN_DOCUMENT, options.adminConsolePath ?? null);
  fastify.get(options.path, async (_request, reply) =>
    reply.header('content-security-policy', SIGN_IN_PAGE_POLICY).type('text/html; charset=utf-8').send(html),
  );
}

/** The sign-in page as a route module: served outside production only. */
export const signInRoute: RouteModule = (fastify, { app }) => {
  if (app.config.nodeEnv !== 'production')
    registerSignInPage(fastify, {
      path: SIGN_IN_PATH,
      graphqlPath: GRAPHQL_PATH,
      adminConsolePath: app.config.adminConsole ? '/admin' : null,
    });
};
