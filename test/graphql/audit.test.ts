import { createTestKit, type TestKit, type TestUser } from '../../src/testkit';

interface AuditPage {
  auditEvents: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{
      node: {
        action: string;
        actorId: string | null;
        subjectId: string | null;
        address: string | null;
        detail: string | null;
        occurredAt: string;
      };
    }>;
  };
}

const AUDIT =
  'query ($first: Int, $after: String) { auditEvents(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { action actorId subjectId address detail occurredAt } } } }';

describe('audit log', () => {
  let kit: TestKit;
  let admin: TestUser;
  const password = 'a password nobody guesses';
  const secrets: string[] = [password];

  beforeAll(async () => {
    kit = await createTestKit();
    admin = await kit.createUser({ role: 'ADMIN' });

    const signUp = await kit.execute<{ signUp: { refreshToken: string; accessToken: string; user: { id: string } } }>(
      `mutation { signUp(email: "audited@example.test", password: "${password}") { accessToken refreshToken user { id } } }`,
    );
    const session = signUp.data!.signUp;
    secrets.push(session.refreshToken, session.accessToken);
    await kit.execute('mutation { login(email: "audited@example.test", password: "wrong password!") { accessToken } }');
    await kit.execute(`mutation { login(email: "audited@example.test", password: "${password}") { accessToken } }`);
    const refreshed = await kit.execute<{ refreshToken: { refreshToken: string } }>(
      `mutation { refreshToken(refreshToken: "${session.refreshToken}") { refreshToken } }`,
    );
    secrets.push(refreshed.data!.refreshToken.refreshToken);
    await kit.execute(`mutation { refreshToken(refreshToken: "${session.refreshToken}") { refreshToken } }`); // replay

    const asUser = kit.contextFor({ id: session.user.id, roles: ['USER'], via: 'jwt' });
    const created = await kit.execute<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      'mutation { createApiKey(name: "ci") { secret apiKey { id } } }',
      { as: asUser },
    );
    secrets.push(created.data!.createApiKey.secret);
    await kit.execute(`mutation { revokeApiKey(id: "${created.data!.createApiKey.apiKey.id}") { id } }`, { as: asUser });
    await kit.execute(`mutation { setUserRole(userId: "${session.user.id}", role: ADMIN) { id } }`, { as: admin });
  });
  afterAll(() => kit.close());

  it('records sign-ups, logins, refresh-token reuse, keys and role changes, newest first', async () => {
    const { data, errors } = await kit.execute<AuditPage>(AUDIT, { as: admin, variables: { first: 50 } });
    expect(errors).toBeUndefined();
    expect(data!.auditEvents.edges.map((e) => e.node.action)).toEqual([
      'user.role_changed',
      'api_key.revoked',
      'api_key.created',
      'refresh_token.reused',
      'login.succeeded',
      'login.failed',
      'user.signed_up',
    ]);
    const roleChange = data!.auditEvents.edges[0]!.node;
    expect(roleChange).toMatchObject({ actorId: admin.user.id, address: '127.0.0.1' });
    expect(JSON.parse(roleChange.detail!)).toEqual({ from: 'USER', to: 'ADMIN', roles: 'ADMIN' });
  });

  it('never stores a password, token or key', async () => {
    const rows = JSON.stringify(await kit.store.db.selectFrom('audit_events').selectAll().execute());
    for (const secret of secrets) expect(rows).not.toContain(secret);
  });

  it('pages with a cursor', async () => {
    const first = await kit.execute<AuditPage>(AUDIT, { as: admin, variables: { first: 3 } });
    expect(first.data!.auditEvents.pageInfo.hasNextPage).toBe(true);
    const second = await kit.execute<AuditPage>(AUDIT, {
      as: admin,
      variables: { first: 10, after: first.data!.auditEvents.pageInfo.endCursor },
    });
    expect(second.data!.auditEvents.edges.map((e) => e.node.action)).toEqual([
      'refresh_token.reused',
      'login.succeeded',
      'login.failed',
      'user.signed_up',
    ]);
    expect(second.data!.auditEvents.pageInfo.hasNextPage).toBe(false);
  });

  it('is for admins only', async () => {
    const user = await kit.createUser();
    expect((await kit.execute(AUDIT, { as: user })).codes).toEqual(['FORBIDDEN']);
    expect((await kit.execute(AUDIT)).codes).toEqual(['UNAUTHENTICATED']);
  });
});
