// The development landing page (GET /graphql as HTML): Apollo's, which embeds Sandbox from Apollo's
// CDN, with gatehouse's way forward added to the text Apollo shows when that CDN cannot be reached
// ("Apollo Sandbox cannot be loaded"): the admin console, /signin (which also signs up) and a curl
// recipe that needs nothing but this server. Online, Sandbox covers that text as before.
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';

/** The text Apollo's embedded-Sandbox page shows while (and when) Sandbox cannot load. */
const OFFLINE_LINE = '<p>Apollo Sandbox cannot be loaded; it appears that you might be offline.</p>';

export interface LandingPageOptions {
  /** The document Sandbox opens with. */
  readonly document: string;
  /** Where the server answers, for the curl recipe (e.g. http://127.0.0.1:4000/graphql). */
  readonly graphqlUrl: string;
  /** Paths to link; null leaves the link out (the console off). */
  readonly adminConsolePath: string | null;
  readonly signInPath: string;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** The markup added after Apollo's offline line: plain elements only (the page's CSP allows no inline style without its nonce). */
export function offlineHelp(options: LandingPageOptions): string {
  const curl = `curl -s ${options.graphqlUrl} -H 'content-type: application/json' -d '{"query":"{ publicMessage }"}'`;
  const console =
    options.adminConsolePath === null
      ? ''
      : `<li><a href="${escapeHtml(options.adminConsolePath)}">Admin console</a> (sign in as an ADMIN)</li>`;
  return `
  <h2>gatehouse without Sandbox</h2>
  <ul>
    ${console}
    <li><a href="${escapeHtml(options.signInPath)}">Sign in or sign up</a>: get an access token for any GraphQL client</li>
    <li>Call the API with curl: <pre><code>${escapeHtml(curl)}</code></pre>
      then add <code>-H 'authorization: Bearer &lt;token&gt;'</code> to act as a user.</li>
  </ul>`;
}

/** Apollo's local landing page with gatehouse's offline help in it. */
export function landingPagePlugin(options: LandingPageOptions): ApolloServerPlugin<BaseContext> {
  const apollo = ApolloServerPluginLandingPageLocalDefault({
    embed: { endpointIsEditable: false, initialState: { pollForSchemaUpdates: false } },
    document: options.document,
    includeCookies: false,
    footer: false,
  });
  const help = offlineHelp(options);
  return {
    async serverWillStart(service) {
      const listener = await apollo.serverWillStart?.(service);
      const render = listener?.renderLandingPage;
      if (render === undefined) return listener;
      return {
        ...listener,
        async renderLandingPage() {
          const page = await render.call(listener);
          const html = page.html;
          return {
            html: async () => {
              const text = typeof html === 'string' ? html : await html();
              return text.replace(OFFLINE_LINE, `${OFFLINE_LINE}${help}`);
            },
          };
        },
      };
    },
  };
}
