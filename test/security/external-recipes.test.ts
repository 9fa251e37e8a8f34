import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HttpHarness, startHttpServer } from '../helpers/http';
import { startTestIssuer, type TestIssuer, type TestKey } from '../helpers/oidc-issuer';

/*
 * The provider recipes of docs/credentials.md, read from the guide itself, each against a provider on loopback
 * that signs tokens shaped like that provider's: the roles and scopes a resolver sees are checked
 * through the real HTTP server.
 */

function recipe(name: string): Record<string, unknown> {
  const guide = readFileSync(join(__dirname, '..', '..', 'docs', 'credentials.md'), 'utf8');
  const match = new RegExp(`<!-- recipe: ${name} -->\\n\`\`\`json[^\\n]*\\n([\\s\\S]*?)\`\`\``).exec(guide);
  if (match === null) throw new Error(`docs/credentials.md has no recipe ${name}`);
  return JSON.parse(match[1] as string) as Record<string, unknown>;
}

const WHOAMI_APP = {
  typeDefs: /* GraphQL */ `
    type Whoami {
      roles: [String!]!
      scopes: [String!]!
      via: String!
    }
    extend type Query {
      whoami: Whoami @auth
    }
  `,
  resolvers: {
    Query: {
      whoami: (_: unknown, __: unknown, context: { viewer: { roles: string[]; scopes?: string[]; via: string } }) => ({
        ...context.viewer,
        scopes: context.viewer.scopes ?? [],
      }),
    },
  },
};

interface Case {
  readonly name: string;
  readonly path: string;
  /** Claims as the provider puts them in an access token (the audience claims are filled in from the recipe). */
  readonly claims: (audience: string) => Record<string, unknown>;
  readonly roles: string[];
  readonly scopes: string[];
}

const CASES: Case[] = [
  {
    name: 'auth0',
    path: '/',
    claims: (aud) => ({
      aud: [aud, 'https://tenant.us.auth0.com/userinfo'],
      azp: 'spa',
      scope: 'openid profile read:notes',
      'https://gatehouse.example.com/roles': ['admin'],
    }),
    roles: ['ADMIN', 'USER'],
    scopes: ['openid', 'profile', 'read:notes'],
  },
  {
    name: 'keycloak',
    path: '/realms/acme',
    claims: (aud) => ({
      aud: [aud, 'account'],
      azp: 'web',
      scope: 'openid email',
      realm_access: { roles: ['offline_access', 'gatehouse-user'] },
      resource_access: { account: { roles: ['manage-account'] } },
    }),
    roles: ['USER'],
    scopes: ['openid', 'email'],
  },
  {
    name: 'cognito',
    path: '/eu-west-1_EXAMPLE',
    claims: (aud) => ({
      aud: undefined,
      client_id: aud,
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin notes/read',
      'cognito:groups': ['admins'],
      username: 'alice',
    }),
    roles: ['ADMIN', 'USER'],
    scopes: ['aws.cognito.signin.user.admin', 'notes/read'],
  },
  {
    name: 'entra',
    path: '/tenant-id/v2.0',
    claims: (aud) => ({
      aud,
      azp: 'client',
      scp: 'Notes.Read Notes.Write',
      roles: ['Gatehouse.User', 'Something.Else'],
      tid: 'tenant-id',
      ver: '2.0',
    }),
    roles: ['USER'],
    scopes: ['Notes.Read', 'Notes.Write'],
  },
];

describe.each(CASES)('the recipe for $name in docs/credentials.md', ({ name, path, claims, roles, scopes }) => {
  let issuer: TestIssuer;
  let key: TestKey;
  let h: HttpHarness;
  const config = recipe(name);
  const audience = config['audience'] as string;

  beforeAll(async () => {
    issuer = await startTestIssuer({ path: path === '/' ? '' : path, audience, trailingSlash: path === '/' });
    key = await issuer.newKey('RS256');
    issuer.publish(key);
    // The recipe as written, on the loopback provider's address.
    h = await startHttpServer({ env: { OIDC_ISSUERS: JSON.stringify([{ ...config, issuer: issuer.issuer }]) }, app: WHOAMI_APP });
  });
  afterAll(async () => {
    await h?.close();
    await issuer?.close();
  });

  it('maps the provider-shaped token to the documented roles and scopes', async () => {
    const iss = issuer.issuer;
    const token = await issuer.sign(key, { iss, sub: `${name}|123`, ...claims(audience) });
    const response = await h.gql('{ whoami { roles scopes via } }', { headers: { authorization: `Bearer ${token}` } });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.['whoami']).toEqual({ roles, scopes, via: 'external' });
  });

  it('refuses the same token for another audience', async () => {
    const iss = issuer.issuer;
    const wrong = claims('someone-else');
    const token = await issuer.sign(key, { iss, sub: `${name}|123`, ...wrong });
    expect((await h.gql('{ whoami { via } }', { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});
