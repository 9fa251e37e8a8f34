import { ConfigError, parseConfig } from '../../src/config';
import { createTestKit } from '../../src/testkit';

/* OIDC_ISSUERS, parsed by parseConfig: the format and defaults of docs/credentials.md's "Tokens from your identity provider". */

const issuers = (value: unknown) => parseConfig({ OIDC_ISSUERS: JSON.stringify(value) }).externalIssuers;

function refusal(value: string): string {
  try {
    parseConfig({ OIDC_ISSUERS: value });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('OIDC_ISSUERS');
    return (error as Error).message;
  }
  throw new Error(`accepted ${value}`);
}

it('defaults to no external issuers', () => {
  expect(parseConfig({}).externalIssuers).toEqual([]);
});

it('needs only issuer and audience; the rest has the documented defaults', () => {
  expect(issuers([{ issuer: 'https://idp.example.com/realms/acme', audience: 'gatehouse-api' }])).toEqual([
    {
      issuer: 'https://idp.example.com/realms/acme',
      audiences: ['gatehouse-api'],
      jwksUri: null,
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      audienceClaim: 'aud',
      rolesClaim: null,
      roleMap: {},
      scopesClaim: 'scope',
      clientIds: null,
      organizationsClaim: null,
    },
  ]);
});

it('reads clientIds (the azp / client_id allow-list) and refuses anything but a non-empty array of non-empty strings', () => {
  const entry = { issuer: 'https://idp.example.com/realms/acme', audience: 'gatehouse-api' };
  expect(issuers([{ ...entry, clientIds: ['spa', 'cli', 'spa'] }])[0]?.clientIds).toEqual(['spa', 'cli']);
  for (const clientIds of ['spa', [], [''], [' '], [1], null]) {
    expect(() => issuers([{ ...entry, clientIds }])).toThrow(/OIDC_ISSUERS.*clientIds/);
  }
});

it('reads every documented key, audience as an array too', () => {
  const [parsed] = issuers([
    {
      issuer: 'https://idp.example.com/realms/acme',
      audience: ['a', 'b'],
      jwksUri: 'https://idp.example.com/certs',
      algorithms: ['ES256'],
      audienceClaim: 'client_id',
      rolesClaim: 'realm_access.roles',
      roleMap: { 'gatehouse-admin': 'ADMIN', 'gatehouse-user': 'USER' },
      scopesClaim: 'scp',
    },
  ]);
  expect(parsed).toMatchObject({
    audiences: ['a', 'b'],
    jwksUri: 'https://idp.example.com/certs',
    algorithms: ['ES256'],
    audienceClaim: 'client_id',
    scopesClaim: 'scp',
  });
});

it('accepts http only on loopback addresses', () => {
  for (const host of ['127.0.0.1:8080', '[::1]:8080', 'localhost'])
    expect(issuers([{ issuer: `http://${host}/x`, audience: 'a' }])).toHaveLength(1);
  expect(refusal(JSON.stringify([{ issuer: 'http://idp.example.com', audience: 'a' }]))).toMatch(/must use https/);
  expect(refusal(JSON.stringify([{ issuer: 'https://idp.example.com', audience: 'a', jwksUri: 'http://10.0.0.1/certs' }]))).toMatch(
    /jwksUri .* must use https/,
  );
});

it.each([
  ['not JSON', '{', /not valid JSON/],
  ['not an array', '{"issuer":"https://x"}', /JSON array/],
  ['no audience', '[{"issuer":"https://x"}]', /audience is required/],
  ['HS256', '[{"issuer":"https://x","audience":"a","algorithms":["HS256"]}]', /HS256.*not accepted/],
  ['none', '[{"issuer":"https://x","audience":"a","algorithms":["none"]}]', /not accepted/],
  ['unknown key', '[{"issuer":"https://x","audience":"a","audiance":"b"}]', /unknown key "audiance"/],
  [
    'a role that is no role name',
    '[{"issuer":"https://x","audience":"a","rolesClaim":"roles","roleMap":{"x":"ROOT!"}}]',
    /roleMap\["x"\] must be the name of a role/,
  ],
  ['roleMap without rolesClaim', '[{"issuer":"https://x","audience":"a","roleMap":{"x":"USER"}}]', /roleMap needs rolesClaim/],
  ['bad audienceClaim', '[{"issuer":"https://x","audience":"a","audienceClaim":"azp"}]', /audienceClaim/],
  ['twice', '[{"issuer":"https://x","audience":"a"},{"issuer":"https://x","audience":"b"}]', /listed twice/],
  ['an issuer that is not a URL', '[{"issuer":"gatehouse","audience":"a"}]', /is not a URL/],
])('refuses %s with a ConfigError naming OIDC_ISSUERS', (_name, value, message) => {
  expect(refusal(value)).toMatch(message);
});

describe('roleMap against the roles the schema declares (checked at start-up, once the schema is built)', () => {
  const env = {
    OIDC_ISSUERS: JSON.stringify([{ issuer: 'https://idp.test', audience: 'a', rolesClaim: 'roles', roleMap: { mods: 'MODERATOR' } }]),
  };
  const typeDefs = 'enum Role { USER MODERATOR @includes(roles: [USER]) ADMIN }';

  it('accepts a role the application declares', async () => {
    const kit = await createTestKit({ typeDefs, env });
    await kit.close();
  });

  it('stops start-up naming OIDC_ISSUERS and the undeclared role', async () => {
    await expect(createTestKit({ env })).rejects.toThrow(
      'OIDC_ISSUERS: entry 0 (https://idp.test): roleMap["mods"] maps to MODERATOR, which enum Role does not declare (declared: USER, ADMIN)',
    );
    await expect(createTestKit({ env })).rejects.toBeInstanceOf(ConfigError);
  });
});

it("refuses an issuer equal to gatehouse's own JWT_ISSUER", () => {
  expect(() =>
    parseConfig({
      JWT_ISSUER: 'https://auth.example.com',
      OIDC_ISSUERS: JSON.stringify([{ issuer: 'https://auth.example.com', audience: 'a' }]),
    }),
  ).toThrow(/OIDC_ISSUERS: .*gatehouse's own JWT_ISSUER/);
});
