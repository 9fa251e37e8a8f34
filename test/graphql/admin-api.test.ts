import type { TestKit, TestUser } from '../../src/testkit';
import { databasesUnderTest, type ThrowawayDatabase, databaseUrlOf, throwawayDatabase } from '../helpers/databases';
import { createDemoKit } from '../helpers/demo';

/*
 * What the admin console asks of the API (src/admin-console/ is only a client of it): user search,
 * one user, disable and enable, every user's keys with their owner, audit-log filters and the auth
 * map. Each is an ADMIN's alone; a USER gets FORBIDDEN, and the mutations refuse an API key. Run on
 * each dialect: the email search is a LIKE whose escaping both must read alike.
 */
describe.each(databasesUnderTest())('the admin API on %s', (dialect) => {
  let database: ThrowawayDatabase;
  let kit: TestKit;
  let admin: TestUser;
  let percent: TestUser;
  let plain: TestUser;

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    kit = await createDemoKit({ env: { DATABASE_URL: databaseUrlOf(database.config) } });
    admin = await kit.createUser({ role: 'ADMIN', email: 'boss@example.test' });
    percent = await kit.createUser({ email: 'Ann_100%@Example.test', name: '<img src=x onerror=alert(1)>' });
    plain = await kit.createUser({ email: 'ann1000x@example.test' });
  });
  afterAll(async () => {
    await kit?.close();
    await database?.drop();
  });

  test('users(email:) finds users whose email contains the text, ignoring case, with % and _ taken literally', async () => {
    const search = async (email: string) => {
      const r = await kit.execute<{ users: { totalCount: number; edges: Array<{ node: { email: string } }> } }>(
        'query ($email: String) { users(email: $email) { totalCount edges { node { email } } } }',
        { variables: { email }, as: admin },
      );
      expect(r.errors).toBeUndefined();
      return { total: r.data!.users.totalCount, emails: r.data!.users.edges.map((e) => e.node.email) };
    };
    expect(await search('ANN')).toEqual({ total: 2, emails: ['Ann_100%@Example.test', 'ann1000x@example.test'] });
    expect(await search('_100%')).toEqual({ total: 1, emails: ['Ann_100%@Example.test'] });
    expect(await search('n_1')).toEqual({ total: 1, emails: ['Ann_100%@Example.test'] });
    expect(await search('nobody')).toEqual({ total: 0, emails: [] });
    expect((await search('  ')).total).toBe(3); // blank: every user
  });

  test('user(id:) opens one user; an unknown id is null, a malformed one BAD_USER_INPUT', async () => {
    const r = await kit.execute('query ($id: ID!) { user(id: $id) { id email name disabledAt } }', {
      variables: { id: percent.user.id },
      as: admin,
    });
    expect(r.data).toEqual({
      user: { id: percent.user.id, email: 'Ann_100%@Example.test', name: '<img src=x onerror=alert(1)>', disabledAt: null },
    });
    const none = await kit.execute('{ user(id: "00000000-0000-4000-8000-000000000000") { id } }', { as: admin });
    expect(none.data).toEqual({ user: null });
    expect((await kit.execute('{ user(id: "nope") { id } }', { as: admin })).codes).toEqual(['BAD_USER_INPUT']);
  });

  test('disableUser and enableUser set and clear disabledAt, both are audited, the last ADMIN cannot be disabled', async () => {
    const disabled = await kit.execute<{ disableUser: { disabledAt: string | null } }>(
      'mutation ($id: ID!) { disableUser(userId: $id) { disabledAt } }',
      { variables: { id: plain.user.id }, as: admin },
    );
    expect(disabled.data!.disableUser.disabledAt).toEqual(expect.any(String));

    const enabled = await kit.execute('mutation ($id: ID!) { enableUser(userId: $id) { disabledAt } }', {
      variables: { id: plain.user.id },
      as: admin,
    });
    expect(enabled.data).toEqual({ enableUser: { disabledAt: null } });
    const audit = await kit.execute<{ auditEvents: { edges: Array<{ node: { action: string } }> } }>(
      'query ($id: ID!) { auditEvents(subjectId: $id) { edges { node { action } } } }',
      { variables: { id: plain.user.id }, as: admin },
    );
    expect(audit.data!.auditEvents.edges.map((e) => e.node.action).slice(0, 2)).toEqual(['user.enabled', 'user.disabled']);

    const last = await kit.execute('mutation ($id: ID!) { disableUser(userId: $id) { id } }', {
      variables: { id: admin.user.id },
      as: admin,
    });
    expect(last.codes).toEqual(['BAD_USER_INPUT']);
  });

  test('apiKeys lists every user’s active keys newest first with their owner; activeOnly: false adds revoked ones', async () => {
    const mine = await kit.createApiKey(admin, { name: 'admin key' });
    const theirs = await kit.createApiKey(plain, { name: 'plain key' });
    const revoke = await kit.execute('mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }', {
      variables: { id: mine.id },
      as: admin,
    });
    expect(revoke.errors).toBeUndefined();
    const list = async (activeOnly: boolean) => {
      const r = await kit.execute<{ apiKeys: { totalCount: number; edges: Array<{ node: { id: string; owner: { email: string } } }> } }>(
        'query ($activeOnly: Boolean) { apiKeys(activeOnly: $activeOnly) { totalCount edges { node { id name owner { email } } } } }',
        { variables: { activeOnly }, as: admin },
      );
      expect(r.errors).toBeUndefined();
      return r.data!.apiKeys;
    };
    const active = await list(true);
    expect(active.edges[0]).toEqual({ node: { id: theirs.id, name: 'plain key', owner: { email: 'ann1000x@example.test' } } });
    expect(active.edges.map((e) => e.node.id)).not.toContain(mine.id);
    const all = await list(false);
    expect(all.totalCount).toBe(active.totalCount + 1);
    expect(all.edges.map((e) => e.node.id)).toContain(mine.id);
  });

  test('auditEvents filters by action, actor, subject and time, and pages within the filter', async () => {
    const query =
      'query ($action: String, $actorId: ID, $since: DateTime, $until: DateTime, $after: String) { auditEvents(first: 1, action: $action, actorId: $actorId, since: $since, until: $until, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { action actor { email } subject { email } } } } }';
    type Page = {
      auditEvents: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string };
        edges: Array<{ node: { action: string; actor: { email: string } | null } }>;
      };
    };
    const first = await kit.execute<Page>(query, { variables: { action: 'user.disabled', actorId: admin.user.id }, as: admin });
    expect(first.data!.auditEvents.totalCount).toBe(1);
    expect(first.data!.auditEvents.edges[0]!.node).toEqual({
      action: 'user.disabled',
      actor: { email: 'boss@example.test' },
      subject: { email: 'ann1000x@example.test' },
    });
    const byAdmin = await kit.execute<Page>(query, { variables: { actorId: admin.user.id }, as: admin });
    expect(byAdmin.data!.auditEvents.totalCount).toBeGreaterThanOrEqual(3);
    const second = await kit.execute<Page>(query, {
      variables: { actorId: admin.user.id, after: byAdmin.data!.auditEvents.pageInfo.endCursor },
      as: admin,
    });
    expect(second.data!.auditEvents.edges[0]!.node.actor).toEqual({ email: 'boss@example.test' });
    const future = await kit.execute<Page>(query, { variables: { since: '2999-01-01T00:00:00Z' }, as: admin });
    expect(future.data!.auditEvents.totalCount).toBe(0);
    const past = await kit.execute<Page>(query, { variables: { until: '2000-01-01T00:00:00Z' }, as: admin });
    expect(past.data!.auditEvents.totalCount).toBe(0);
    expect((await kit.execute(query, { variables: { actorId: 'x' }, as: admin })).codes).toEqual(['BAD_USER_INPUT']);
  });

  test('authMap is the served schema’s map: callers, the demo’s fields and who reaches them', async () => {
    const r = await kit.execute<{ authMap: { callers: string[]; entries: Array<{ coordinate: string; reachableBy: string[] }> } }>(
      '{ authMap { callers openRootFields entries { coordinate requires from reachableBy } } }',
      { as: admin },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.authMap.callers[0]).toBe('anonymous');
    expect(r.data!.authMap.callers).toEqual(expect.arrayContaining(['USER', 'ADMIN']));
    const byCoordinate = new Map(r.data!.authMap.entries.map((e) => [e.coordinate, e.reachableBy]));
    expect(byCoordinate.get('Query.users')).toEqual(['ADMIN']);
    expect(byCoordinate.get('Query.authMap')).toEqual(['ADMIN']);
    expect(byCoordinate.get('User.email')).toEqual(expect.arrayContaining(['USER (owner)', 'ADMIN']));
    expect(byCoordinate.get('User.email')).not.toContain('anonymous');
  });

  test.each([
    ['users(email:)', '{ users(email: "a") { totalCount } }'],
    ['user', `{ user(id: "00000000-0000-4000-8000-000000000000") { id } }`],
    ['apiKeys', '{ apiKeys { totalCount } }'],
    ['authMap', '{ authMap { callers } }'],
    ['auditEvents(action:)', '{ auditEvents(action: "user.disabled") { totalCount } }'],
    ['disableUser', `mutation { disableUser(userId: "00000000-0000-4000-8000-000000000000") { id } }`],
  ])('%s: a USER gets FORBIDDEN and no data', async (_name, query) => {
    const r = await kit.execute(query, { as: plain });
    expect(r.codes).toEqual(['FORBIDDEN']);
    expect(Object.values(r.data ?? {}).every((v) => v === null)).toBe(true);
  });

  test('disableUser and enableUser refuse an ADMIN’s API key before anything runs', async () => {
    const key = await kit.createApiKey(admin);
    for (const field of ['disableUser', 'enableUser']) {
      const r = await kit.execute(`mutation ($id: ID!) { ${field}(userId: $id) { id } }`, { variables: { id: plain.user.id }, as: key });
      expect(r.codes).toEqual(['FORBIDDEN']);
      expect(r.data ?? null).toBeNull();
    }
    const user = await kit.execute('query ($id: ID!) { user(id: $id) { disabledAt } }', { variables: { id: plain.user.id }, as: admin });
    expect(user.data).toEqual({ user: { disabledAt: null } });
  });
});
