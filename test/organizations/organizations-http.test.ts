/*
 * Organizations through the real HTTP server, on SQLite and PostgreSQL: creating one, adding,
 * promoting and removing members, what a non-member is refused (before anything runs, for
 * mutations), the same answer for an unknown email and a member already there, API keys acting
 * with their owner's memberships, and the last OWNER under 20 parallel demotions and removals.
 */
import type { Kysely } from 'kysely';
import { databasesUnderTest, databaseUrlOf, type ThrowawayDatabase, throwawayDatabase } from '../helpers/databases';
import { type HttpHarness, expectOwnRequestIds, randomSecret, startHttpServer, withoutRequestIds } from '../helpers/http';
import { createUser } from '../../src/services/accounts';
import { codes, createKey, type SignedUp, signUp, uniqueEmail } from '../helpers/accounts';

const CREATE = 'mutation ($name: String!) { createOrganization(name: $name) { id name myRole } }';
const ORG = 'query ($id: ID!) { organization(id: $id) { id name myRole members { totalCount edges { node { role user { id } } } } } }';
const ADD =
  'mutation ($org: ID!, $email: String!, $role: OrganizationRole! = MEMBER) { addMember(organizationId: $org, email: $email, role: $role) { role user { id } } }';
const SET_ROLE =
  'mutation ($org: ID!, $user: ID!, $role: OrganizationRole!) { setMemberRole(organizationId: $org, userId: $user, role: $role) { role } }';
const REMOVE = 'mutation ($org: ID!, $user: ID!) { removeMember(organizationId: $org, userId: $user) }';

const bearer = (user: SignedUp) => ({ authorization: `Bearer ${user.accessToken}` });

describe.each(databasesUnderTest())('organizations over HTTP on %s', (dialect) => {
  let database: ThrowawayDatabase;
  let h: HttpHarness;
  let other: HttpHarness;

  beforeAll(async () => {
    database = await throwawayDatabase(dialect);
    const env = { DATABASE_URL: databaseUrlOf(database.config), JWT_SECRET: randomSecret() };
    h = await startHttpServer({ env });
    other = await startHttpServer({ env });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await other?.close();
    await database?.drop();
  });

  async function createOrganization(owner: SignedUp, name = 'Acme'): Promise<string> {
    const created = await h.gql(CREATE, { variables: { name }, headers: bearer(owner) });
    expect(created.body.errors).toBeUndefined();
    expect(created.body.data?.['createOrganization']).toMatchObject({ name, myRole: 'OWNER' });
    return created.body.data?.['createOrganization'].id as string;
  }

  async function ownersOf(organizationId: string): Promise<number> {
    const row = await h.store.db
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('organization_id', '=', organizationId)
      .where('role', '=', 'OWNER')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it('lets the creator (OWNER) read and list it, add a member by email and see them', async () => {
    const owner = await signUp(h);
    const member = await signUp(h);
    const id = await createOrganization(owner);
    const mine = await h.gql('{ myOrganizations { id myRole } }', { headers: bearer(owner) });
    expect(mine.body.data?.['myOrganizations']).toEqual([{ id, myRole: 'OWNER' }]);

    const added = await h.gql(ADD, { variables: { org: id, email: member.email }, headers: bearer(owner) });
    expect(added.body.errors).toBeUndefined();
    expect(added.body.data?.['addMember']).toEqual({ role: 'MEMBER', user: { id: member.id } });

    const read = await h.gql(ORG, { variables: { id }, headers: bearer(member) });
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data?.['organization']).toMatchObject({ id, myRole: 'MEMBER', members: { totalCount: 2 } });
  });

  it('refuses a non-member every way it can ask: FORBIDDEN with null, aliases and fragments alike; anonymous is UNAUTHENTICATED', async () => {
    const owner = await signUp(h);
    const stranger = await signUp(h);
    const id = await createOrganization(owner, 'Private Co');
    const direct = await h.gql(ORG, { variables: { id }, headers: bearer(stranger) });
    expect(direct.body.data?.['organization']).toBeNull();
    expect(codes(direct)).toEqual(['FORBIDDEN']);
    const sneaky = await h.gql(
      `query ($id: ID!) { a: organization(id: $id) { ...O } b: organization(id: $id) { ... on Organization { name } } }
       fragment O on Organization { name members { edges { node { user { id } } } } }`,
      { variables: { id }, headers: bearer(stranger) },
    );
    expect(sneaky.body.data).toEqual({ a: null, b: null });
    expect(codes(sneaky)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(JSON.stringify(sneaky.body)).not.toContain('Private Co');
    const anonymous = await h.gql(ORG, { variables: { id } });
    expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
  });

  it("keeps an organization's note from a non-member by every other path, a global ADMIN included", async () => {
    const owner = await signUp(h);
    const id = await createOrganization(owner, 'Tenant A');
    const written = await h.gql(
      'mutation ($o: ID!) { createOrganizationNote(organizationId: $o, title: "tenant secret", body: "b") { id } }',
      {
        variables: { o: id },
        headers: bearer(owner),
      },
    );
    const noteId = written.body.data?.['createOrganizationNote']?.id as string;
    expect(noteId).toEqual(expect.any(String));
    const stranger = await signUp(h);
    const ownOrg = await createOrganization(stranger, 'Tenant B');
    const email = uniqueEmail('admin');
    await createUser(h.app, { email, password: 'admin password', role: 'ADMIN' }, { actorId: null, address: 'tenants', source: 'request' });
    const login = await h.gql('mutation ($e: String!) { login(email: $e, password: "admin password") { accessToken } }', {
      variables: { e: email },
    });
    const admin = { authorization: `Bearer ${login.body.data?.['login']?.accessToken}` };
    for (const headers of [bearer(stranger), admin]) {
      // By id, in the global list, nested under an organization reached by another root, through
      // aliases and fragments, and under the caller's own organization.
      const probe = await h.gql(
        `query ($n: ID!, $o: ID!) {
           byId: note(id: $n) { id title }
           notes { edges { node { id title } } }
           mine: myOrganizations { id notes { edges { node { id title } } } }
           theirs: organization(id: $o) { ...N }
         }
         fragment N on Organization { notes { edges { node { ... on Note { title } } } } }`,
        { variables: { n: noteId, o: id }, headers },
      );
      expect(JSON.stringify(probe.body)).not.toContain('tenant secret');
      expect(probe.body.data?.['byId']).toBeNull();
      expect(probe.body.data?.['theirs']).toBeNull();
      expect(probe.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['theirs'], 'FORBIDDEN']]);
      // Nor can it be deleted (a MODERATOR or an ADMIN may delete any personal note; not a tenant's).
      const deleted = await h.gql('mutation ($n: ID!) { deleteNote(id: $n) }', { variables: { n: noteId }, headers });
      expect(deleted.body.data?.['deleteNote'] ?? null).toBeNull();
    }
    expect(ownOrg).not.toBe(id);
    const kept = await h.gql('query ($o: ID!) { organization(id: $o) { notes { totalCount } } }', {
      variables: { o: id },
      headers: bearer(owner),
    });
    expect(kept.body.data).toEqual({ organization: { notes: { totalCount: 1 } } });
  });

  it('refuses a mutation in another organization before anything runs: nothing changes', async () => {
    const owner = await signUp(h);
    const intruder = await signUp(h);
    const victim = await signUp(h);
    const id = await createOrganization(owner);
    await createOrganization(intruder, 'Intruder Inc');
    const before = await h.store.db.selectFrom('memberships').selectAll().where('organization_id', '=', id).execute();
    const attempt = await h.gql(
      `mutation ($org: ID!, $email: String!, $user: ID!) {
         createOrganization(name: "side effect") { id }
         addMember(organizationId: $org, email: $email, role: OWNER) { role }
         removeMember(organizationId: $org, userId: $user)
       }`,
      { variables: { org: id, email: victim.email, user: owner.id }, headers: bearer(intruder) },
    );
    expect(attempt.body.data ?? null).toBeNull();
    expect(codes(attempt)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(await h.store.db.selectFrom('memberships').selectAll().where('organization_id', '=', id).execute()).toEqual(before);
    const mine = await h.gql('{ myOrganizations { name } }', { headers: bearer(intruder) });
    expect(mine.body.data?.['myOrganizations']).toEqual([{ name: 'Intruder Inc' }]);
  });

  it('answers an unknown email exactly like a member already there (no account is revealed)', async () => {
    const owner = await signUp(h);
    const member = await signUp(h);
    const id = await createOrganization(owner);
    await h.gql(ADD, { variables: { org: id, email: member.email }, headers: bearer(owner) });
    const again = await h.gql(ADD, { variables: { org: id, email: member.email }, headers: bearer(owner) });
    const unknown = await h.gql(ADD, { variables: { org: id, email: uniqueEmail('nobody') }, headers: bearer(owner) });
    expect(codes(again)).toEqual(['BAD_USER_INPUT']);
    // The same answer but for the request id each names as its own (a fresh UUID: nothing about the account).
    expect(withoutRequestIds(unknown.text)).toBe(withoutRequestIds(again.text));
    expectOwnRequestIds(again, unknown);
  });

  it('lets only an OWNER grant or take OWNER, and an ADMIN manage the rest; a MEMBER may leave but not remove others', async () => {
    const owner = await signUp(h);
    const admin = await signUp(h);
    const member = await signUp(h);
    const id = await createOrganization(owner);
    await h.gql(ADD, { variables: { org: id, email: admin.email, role: 'ADMIN' }, headers: bearer(owner) });
    await h.gql(ADD, { variables: { org: id, email: member.email }, headers: bearer(owner) });

    const promote = await h.gql(SET_ROLE, { variables: { org: id, user: member.id, role: 'OWNER' }, headers: bearer(admin) });
    expect(codes(promote)).toEqual(['FORBIDDEN']);
    const demoteOwner = await h.gql(SET_ROLE, { variables: { org: id, user: owner.id, role: 'MEMBER' }, headers: bearer(admin) });
    expect(codes(demoteOwner)).toEqual(['FORBIDDEN']);
    const removeOwner = await h.gql(REMOVE, { variables: { org: id, user: owner.id }, headers: bearer(admin) });
    expect(codes(removeOwner)).toEqual(['FORBIDDEN']);
    expect(await ownersOf(id)).toBe(1);

    const memberRemoves = await h.gql(REMOVE, { variables: { org: id, user: admin.id }, headers: bearer(member) });
    expect(codes(memberRemoves)).toEqual(['FORBIDDEN']);
    const memberPromotes = await h.gql(SET_ROLE, { variables: { org: id, user: member.id, role: 'ADMIN' }, headers: bearer(member) });
    expect(codes(memberPromotes)).toEqual(['FORBIDDEN']);

    const ownerDemotesSelf = await h.gql(SET_ROLE, { variables: { org: id, user: owner.id, role: 'ADMIN' }, headers: bearer(owner) });
    expect(codes(ownerDemotesSelf)).toEqual(['BAD_USER_INPUT']);
    const ownerLeaves = await h.gql(REMOVE, { variables: { org: id, user: owner.id }, headers: bearer(owner) });
    expect(codes(ownerLeaves)).toEqual(['BAD_USER_INPUT']);

    const leave = await h.gql(REMOVE, { variables: { org: id, user: member.id }, headers: bearer(member) });
    expect(leave.body.data?.['removeMember']).toBe(true);
    const afterLeaving = await h.gql(ORG, { variables: { id }, headers: bearer(member) });
    expect(codes(afterLeaving)).toEqual(['FORBIDDEN']);

    const audited = await h.store.db.selectFrom('audit_events').select('action').where('action', 'like', 'organization.%').execute();
    expect(new Set(audited.map((e) => e.action))).toEqual(
      new Set(['organization.created', 'organization.member_added', 'organization.member_removed']),
    );
  });

  it('sees a membership added or removed on one instance on the next request to the other', async () => {
    const owner = await signUp(h);
    const member = await signUp(h);
    const id = await createOrganization(owner);
    // The other instance has read (and cached) the member as a member of nothing.
    expect(codes(await other.gql(ORG, { variables: { id }, headers: bearer(member) }))).toEqual(['FORBIDDEN']);
    await h.gql(ADD, { variables: { org: id, email: member.email }, headers: bearer(owner) });
    const seen = await other.gql(ORG, { variables: { id }, headers: bearer(member) });
    expect(seen.body.errors).toBeUndefined();
    expect(seen.body.data?.['organization']).toMatchObject({ id, myRole: 'MEMBER' });
    await h.gql(REMOVE, { variables: { org: id, user: member.id }, headers: bearer(owner) });
    expect(codes(await other.gql(ORG, { variables: { id }, headers: bearer(member) }))).toEqual(['FORBIDDEN']);
  });

  it("lets an API key made by a member act with that member's organization roles", async () => {
    const owner = await signUp(h);
    const member = await signUp(h);
    const stranger = await signUp(h);
    const id = await createOrganization(owner);
    await h.gql(ADD, { variables: { org: id, email: member.email }, headers: bearer(owner) });
    const memberKey = await createKey(h, member.accessToken);
    const strangerKey = await createKey(h, stranger.accessToken);
    const read = await other.gql(ORG, { variables: { id }, headers: { 'x-api-key': memberKey.secret } });
    expect(read.body.data?.['organization']).toMatchObject({ id, myRole: 'MEMBER' });
    expect(codes(await other.gql(ORG, { variables: { id }, headers: { 'x-api-key': strangerKey.secret } }))).toEqual(['FORBIDDEN']);
    // A MEMBER's key cannot do what an ADMIN of the organization may.
    const add = await other.gql(ADD, { variables: { org: id, email: stranger.email }, headers: { 'x-api-key': memberKey.secret } });
    expect(codes(add)).toEqual(['FORBIDDEN']);
  });

  it("refuses an OWNER's API key every membership change before anything runs: a leaked key takes no organization over", async () => {
    const owner = await signUp(h);
    const member = await signUp(h);
    const thief = await signUp(h);
    const id = await createOrganization(owner);
    await h.gql(ADD, { variables: { org: id, email: member.email }, headers: bearer(owner) });
    const key = { 'x-api-key': (await createKey(h, owner.accessToken)).secret };
    const attempts = [
      [ADD, { org: id, email: thief.email, role: 'OWNER' }, 'addMember'],
      [SET_ROLE, { org: id, user: member.id, role: 'ADMIN' }, 'setMemberRole'],
      [REMOVE, { org: id, user: member.id }, 'removeMember'],
      [REMOVE, { org: id, user: owner.id }, 'removeMember'],
    ] as const;
    for (const [query, variables, field] of attempts) {
      const refused = await other.gql(query, { variables, headers: key });
      expect(refused.body.data).toBeUndefined();
      expect(refused.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[[field], 'FORBIDDEN']]);
    }
    // Nothing changed: the OWNER and the MEMBER, and no one else.
    const seen = await h.gql(ORG, { variables: { id }, headers: bearer(owner) });
    const roles = seen.body.data?.['organization']?.members?.edges?.map((e: { node: { role: string; user: { id: string } } }) => [
      e.node.user.id,
      e.node.role,
    ]);
    expect(new Map(roles)).toEqual(
      new Map([
        [owner.id, 'OWNER'],
        [member.id, 'MEMBER'],
      ]),
    );
    // The OWNER's own session still may.
    const added = await h.gql(ADD, { variables: { org: id, email: thief.email }, headers: bearer(owner) });
    expect(added.body.errors).toBeUndefined();
  });

  it("a member's API key acts with the member's organization roles within the key's scopes", async () => {
    const owner = await signUp(h);
    const member = await signUp(h);
    const stranger = await signUp(h);
    const id = await createOrganization(owner);
    await h.gql(ADD, { variables: { org: id, email: member.email }, headers: bearer(owner) });
    const keyOf = async (user: SignedUp, scopes: string[]) => {
      const made = await h.gql('mutation ($s: [String!]) { createApiKey(name: "org", scopes: $s) { secret } }', {
        variables: { s: scopes },
        headers: bearer(user),
      });
      return { 'x-api-key': made.body.data?.['createApiKey']?.secret as string };
    };
    const write = 'mutation ($org: ID!) { createOrganizationNote(organizationId: $org, title: "t", body: "b") { id organizationId } }';
    const notesOf = async () =>
      Number(
        (
          await (h.store.db as unknown as Kysely<{ notes: { organization_id: string | null } }>)
            .selectFrom('notes')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('organization_id', '=', id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    // The member's key without notes:write: a member, but not within the key's scopes.
    const noScope = await other.gql(write, { variables: { org: id }, headers: await keyOf(member, []) });
    expect(noScope.body.errors?.map((e) => [e.path, e.extensions?.['code']])).toEqual([[['createOrganizationNote'], 'FORBIDDEN']]);
    // A stranger's key with notes:write: within its scopes, but not a member.
    const strangers = await other.gql(write, { variables: { org: id }, headers: await keyOf(stranger, ['notes:write']) });
    expect(codes(strangers)).toEqual(['FORBIDDEN']);
    expect(await notesOf()).toBe(0);
    // The member's key with notes:write: both.
    const written = await other.gql(write, { variables: { org: id }, headers: await keyOf(member, ['notes:write']) });
    expect(written.body.data?.['createOrganizationNote']).toMatchObject({ organizationId: id });
    expect(await notesOf()).toBe(1);
  });

  it('leaves exactly one OWNER after 20 parallel demotions and removals by 20 OWNERs', async () => {
    const owners = await Promise.all(Array.from({ length: 20 }, () => signUp(h)));
    const [first] = owners as [SignedUp, ...SignedUp[]];
    const id = await createOrganization(first);
    for (const owner of owners.slice(1)) {
      const added = await h.gql(ADD, { variables: { org: id, email: owner.email, role: 'OWNER' }, headers: bearer(first) });
      expect(added.body.errors).toBeUndefined();
    }
    expect(await ownersOf(id)).toBe(20);
    const results = await Promise.all(
      owners.map((owner, i) =>
        (i % 2 === 0 ? h : other).gql(i % 3 === 0 ? REMOVE : SET_ROLE, {
          variables: { org: id, user: owner.id, role: 'MEMBER' },
          headers: bearer(owner),
        }),
      ),
    );
    const refused = results.filter((r) => r.body.errors !== undefined);
    expect(refused).toHaveLength(1);
    expect(codes(refused[0]!)).toEqual(['BAD_USER_INPUT']);
    expect(await ownersOf(id)).toBe(1);
  }, 60_000);
});
