/*
 * gatehouse's own organization policies (src/graphql/policies.ts) through the real HTTP server: only an
 * OWNER grants OWNER (`gatehouse.organizationOwnerGrant`, addMember and setMemberRole) and only an
 * ADMIN of the organization removes another member (`gatehouse.memberRemoval`; anyone may leave),
 * refused by the mutation gate before anything runs — an organization created earlier in the same
 * operation is not created — and named in `extensions.rule`.
 */
import { codes, type SignedUp, signUp } from '../helpers/accounts';
import { type HttpHarness, startHttpServer, type WireError } from '../helpers/http';
import { rowCount } from '../helpers/store';

const bearer = (user: SignedUp) => ({ authorization: `Bearer ${user.accessToken}` });
const rules = (errors: readonly WireError[] | undefined) =>
  (errors ?? []).map((e) => [e.path?.[0], e.extensions?.['code'], e.extensions?.['rule']]);
const GRANT = '@policy(policies: [["gatehouse.organizationOwnerGrant"]])';
const REMOVAL = '@policy(policies: [["gatehouse.memberRemoval"]]) on Mutation.removeMember';

describe("an organization's own rules, decided before anything runs", () => {
  let h: HttpHarness;
  let owner: SignedUp;
  let admin: SignedUp;
  let member: SignedUp;
  let other: SignedUp;
  let org = '';

  const organizationCount = () => rowCount(h.store.db, 'organizations');
  const roleOf = async (user: SignedUp) =>
    (
      await h.store.db
        .selectFrom('memberships')
        .select('role')
        .where('organization_id', '=', org)
        .where('user_id', '=', user.id)
        .executeTakeFirst()
    )?.role;

  beforeAll(async () => {
    h = await startHttpServer();
    [owner, admin, member, other] = [await signUp(h), await signUp(h), await signUp(h), await signUp(h)];
    org = (await h.gql('mutation { createOrganization(name: "Rules") { id } }', { headers: bearer(owner) })).body.data?.[
      'createOrganization'
    ]?.id;
    for (const [user, role] of [
      [admin, 'ADMIN'],
      [member, 'MEMBER'],
      [other, 'MEMBER'],
    ] as const) {
      const added = await h.gql(
        'mutation ($o: ID!, $e: String!, $r: OrganizationRole!) { addMember(organizationId: $o, email: $e, role: $r) { role } }',
        {
          variables: { o: org, e: user.email, r: role },
          headers: bearer(owner),
        },
      );
      expect(added.body.errors).toBeUndefined();
    }
  });
  afterAll(() => h?.close());

  it('an ADMIN of the organization cannot grant OWNER, by adding or by promoting', async () => {
    const before = await organizationCount();
    const promote = await h.gql(
      'mutation ($o: ID!, $u: ID!) { createOrganization(name: "side effect") { id } setMemberRole(organizationId: $o, userId: $u, role: OWNER) { role } }',
      { variables: { o: org, u: member.id }, headers: bearer(admin) },
    );
    expect(promote.body.data ?? null).toBeNull();
    expect(rules(promote.body.errors)).toEqual([['setMemberRole', 'FORBIDDEN', `${GRANT} on Mutation.setMemberRole`]]);
    expect(await organizationCount()).toBe(before);
    expect(await roleOf(member)).toBe('MEMBER');
    // ADMIN may still be granted by an ADMIN; OWNER by an OWNER.
    const toAdmin = await h.gql('mutation ($o: ID!, $u: ID!) { setMemberRole(organizationId: $o, userId: $u, role: ADMIN) { role } }', {
      variables: { o: org, u: member.id },
      headers: bearer(admin),
    });
    expect(toAdmin.body).toEqual({ data: { setMemberRole: { role: 'ADMIN' } } });
    const back = await h.gql('mutation ($o: ID!, $u: ID!) { setMemberRole(organizationId: $o, userId: $u, role: MEMBER) { role } }', {
      variables: { o: org, u: member.id },
      headers: bearer(owner),
    });
    expect(back.body.errors).toBeUndefined();
  });

  it('a MEMBER cannot remove another member, but may leave; an ADMIN of the organization removes', async () => {
    const before = await organizationCount();
    const removed = await h.gql(
      'mutation ($o: ID!, $u: ID!) { createOrganization(name: "side effect") { id } removeMember(organizationId: $o, userId: $u) }',
      { variables: { o: org, u: other.id }, headers: bearer(member) },
    );
    expect(removed.body.data ?? null).toBeNull();
    expect(rules(removed.body.errors)).toEqual([['removeMember', 'FORBIDDEN', REMOVAL]]);
    expect(await organizationCount()).toBe(before);
    expect(await roleOf(other)).toBe('MEMBER');
    const REMOVE = 'mutation ($o: ID!, $u: ID!) { removeMember(organizationId: $o, userId: $u) }';
    expect((await h.gql(REMOVE, { variables: { o: org, u: other.id }, headers: bearer(admin) })).body).toEqual({
      data: { removeMember: true },
    });
    expect((await h.gql(REMOVE, { variables: { o: org, u: member.id }, headers: bearer(member) })).body).toEqual({
      data: { removeMember: true },
    });
    expect(codes(await h.gql(REMOVE, { variables: { o: org, u: owner.id }, headers: bearer(admin) }))).toEqual(['FORBIDDEN']);
  });
});
