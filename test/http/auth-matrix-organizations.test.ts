/*
 * Membership rules cannot be derived from the SDL alone (who is a member of what is data), so each
 * @inOrganization rule of the demo schema has a member, a non-member and an anonymous case here,
 * over HTTP (and WebSocket for the subscription); a rule added to the schema without one fails the
 * first test, naming it. Cross-tenant attempts go through every shape a client can send: aliases,
 * fragments, nested paths, variables, and mutations refused before any resolver runs.
 */
import { isObjectType } from 'graphql';
import type { Kysely } from 'kysely';
import type { NotesTables } from '../../examples/notes/store';
import { fieldRequirement } from '../../src/enforcement/requirements';
import { codes, signUp, type SignedUp } from '../helpers/accounts';
import { buildDemoSourceSchema } from '../helpers/demo';
import { type HttpHarness, startHttpServer, type WireError } from '../helpers/http';
import { eventually, openSocket, type Socket } from '../helpers/ws';

const schema = buildDemoSourceSchema();
const bearer = (user: SignedUp) => ({ authorization: `Bearer ${user.accessToken}` });
const authErrors = (errors: readonly WireError[] | undefined) =>
  (errors ?? []).map((e) => ({ path: e.path, code: e.extensions?.['code'] }));

describe('membership rules: a member versus a non-member', () => {
  let server: HttpHarness;
  let owner: SignedUp;
  let member: SignedUp;
  let stranger: SignedUp;
  let organizationId: string;
  let strangersOrganization: string;
  const sockets: Socket[] = [];

  const gql = (query: string, as: SignedUp | null, variables: Record<string, unknown> = {}) =>
    server.gql(query, { variables, headers: as === null ? {} : bearer(as) });
  const memberIds = async (): Promise<string[]> =>
    (await server.store.db.selectFrom('memberships').select('user_id').where('organization_id', '=', organizationId).execute())
      .map((r) => r.user_id)
      .sort();

  beforeAll(async () => {
    server = await startHttpServer();
    [owner, member, stranger] = [await signUp(server), await signUp(server), await signUp(server)];
    const created = await gql('mutation { createOrganization(name: "Acme") { id } }', owner);
    organizationId = created.body.data?.['createOrganization'].id;
    const theirs = await gql('mutation { createOrganization(name: "Stranger Things") { id } }', stranger);
    strangersOrganization = theirs.body.data?.['createOrganization'].id;
    const added = await gql('mutation ($o: ID!, $e: String!) { addMember(organizationId: $o, email: $e) { role } }', owner, {
      o: organizationId,
      e: member.email,
    });
    expect(added.body.errors).toBeUndefined();
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await server.close();
  });

  const cases: Record<string, () => Promise<void>> = {
    'Query.organization': async () => {
      const read = 'query ($id: ID!) { organization(id: $id) { name } }';
      expect((await gql(read, member, { id: organizationId })).body).toEqual({ data: { organization: { name: 'Acme' } } });
      const other = await gql(read, stranger, { id: organizationId });
      expect(other.body.data).toEqual({ organization: null });
      expect(authErrors(other.body.errors)).toEqual([{ path: ['organization'], code: 'FORBIDDEN' }]);
      expect(authErrors((await gql(read, null, { id: organizationId })).body.errors)).toEqual([
        { path: ['organization'], code: 'UNAUTHENTICATED' },
      ]);
      // Aliases, a fragment and an inline fragment over the same field: each refused, nothing leaks.
      const shapes = await gql(
        `query ($id: ID!) { a: organization(id: $id) { ...F } b: organization(id: $id) { ... on Organization { members { totalCount } } }
           mine: organization(id: "${strangersOrganization}") { name } }
         fragment F on Organization { name notes { edges { node { title } } } }`,
        stranger,
        { id: organizationId },
      );
      expect(shapes.body.data).toEqual({ a: null, b: null, mine: { name: 'Stranger Things' } });
      expect(authErrors(shapes.body.errors)).toEqual([
        { path: ['a'], code: 'FORBIDDEN' },
        { path: ['b'], code: 'FORBIDDEN' },
      ]);
      expect(shapes.text).not.toContain('Acme');
    },
    'Organization.notes': async () => {
      const notes = 'query ($id: ID!) { organization(id: $id) { notes { totalCount edges { node { title organizationId } } } } }';
      await gql('mutation ($o: ID!) { createOrganizationNote(organizationId: $o, title: "plan", body: "b") { id } }', member, {
        o: organizationId,
      });
      const read = await gql(notes, member, { id: organizationId });
      expect(read.body.errors).toBeUndefined();
      expect(read.body.data?.['organization'].notes.edges).toContainEqual({ node: { title: 'plan', organizationId } });
      // The organization's notes are nowhere else: not in the public list, not by id, not to the stranger.
      const everywhere = await gql('{ notes { edges { node { title } } } }', member);
      expect(everywhere.text).not.toContain('plan');
      expect(authErrors((await gql(notes, stranger, { id: organizationId })).body.errors)).toEqual([
        { path: ['organization'], code: 'FORBIDDEN' },
      ]);
      // The creator of a new organization reads its notes on the same request (the object's own id).
      const fresh = await gql('mutation { createOrganization(name: "New") { myRole notes { totalCount } } }', stranger);
      expect(fresh.body).toEqual({ data: { createOrganization: { myRole: 'OWNER', notes: { totalCount: 0 } } } });
    },
    'Mutation.createOrganizationNote': async () => {
      const write = 'mutation ($o: ID!) { createOrganizationNote(organizationId: $o, title: "planted", body: "b") { id } }';
      const count = async () => {
        const row = await (server.store.db as unknown as Kysely<NotesTables>)
          .selectFrom('notes')
          .select((eb) => eb.fn.countAll<number | string>().as('n'))
          .executeTakeFirstOrThrow();
        return Number(row.n);
      };
      const before = await count();
      // A stranger's write into the organization, beside one of its own: refused whole, before anything runs.
      const refused = await gql(
        `mutation ($o: ID!, $mine: ID!) { mine: createOrganizationNote(organizationId: $mine, title: "x", body: "b") { id }
           theirs: createOrganizationNote(organizationId: $o, title: "planted", body: "b") { id } }`,
        stranger,
        { o: organizationId, mine: strangersOrganization },
      );
      expect(refused.body.data ?? null).toBeNull();
      expect(authErrors(refused.body.errors)).toEqual([{ path: ['theirs'], code: 'FORBIDDEN' }]);
      expect(authErrors((await gql(write, null, { o: organizationId })).body.errors)).toEqual([
        { path: ['createOrganizationNote'], code: 'UNAUTHENTICATED' },
      ]);
      expect(await count()).toBe(before);
      expect((await gql(write, member, { o: organizationId })).body.errors).toBeUndefined();
      expect(await count()).toBe(before + 1);
    },
    'Mutation.addMember': async () => {
      const add = 'mutation ($o: ID!, $e: String!) { addMember(organizationId: $o, email: $e) { role } }';
      const before = await memberIds();
      // A MEMBER is too low a role; a stranger is no member at all; nothing changes either way.
      expect(codes(await gql(add, member, { o: organizationId, e: stranger.email }))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(add, stranger, { o: organizationId, e: stranger.email }))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(add, null, { o: organizationId, e: stranger.email }))).toEqual(['UNAUTHENTICATED']);
      expect(await memberIds()).toEqual(before);
    },
    'Mutation.setMemberRole': async () => {
      const set = 'mutation ($o: ID!, $u: ID!) { setMemberRole(organizationId: $o, userId: $u, role: ADMIN) { role } }';
      expect(codes(await gql(set, stranger, { o: organizationId, u: member.id }))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(set, member, { o: organizationId, u: member.id }))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(set, null, { o: organizationId, u: member.id }))).toEqual(['UNAUTHENTICATED']);
      const role = await server.store.db
        .selectFrom('memberships')
        .select('role')
        .where('organization_id', '=', organizationId)
        .where('user_id', '=', member.id)
        .executeTakeFirst();
      expect(role).toEqual({ role: 'MEMBER' });
    },
    'Mutation.removeMember': async () => {
      const remove = 'mutation ($o: ID!, $u: ID!) { removeMember(organizationId: $o, userId: $u) }';
      const before = await memberIds();
      expect(codes(await gql(remove, stranger, { o: organizationId, u: member.id }))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(remove, stranger, { o: organizationId, u: stranger.id }))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(remove, null, { o: organizationId, u: member.id }))).toEqual(['UNAUTHENTICATED']);
      expect(await memberIds()).toEqual(before);
    },
    'Subscription.organizationNoteAdded': async () => {
      const subscription = 'subscription ($o: ID!) { organizationNoteAdded(organizationId: $o) { title } }';
      const open = (as: SignedUp | null) => {
        const socket = openSocket(server.url, as === null ? {} : { authorization: `Bearer ${as.accessToken}` });
        sockets.push(socket);
        return socket.subscribe(subscription, { o: organizationId }).received;
      };
      const [memberFeed, strangerFeed, anonymousFeed] = [open(member), open(stranger), open(null)];
      await eventually(() => strangerFeed.completed && anonymousFeed.completed, 'the non-members are refused');
      expect(strangerFeed.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      expect(anonymousFeed.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      const write = 'mutation ($o: ID!, $t: String!) { createOrganizationNote(organizationId: $o, title: $t, body: "b") { id } }';
      await eventually(() => true, 'subscribed');
      await new Promise((resolve) => setTimeout(resolve, 200));
      await gql(write, owner, { o: organizationId, t: 'first' });
      await eventually(() => memberFeed.events.length === 1, 'the member hears of the note');
      expect(memberFeed.events[0]).toEqual({ data: { organizationNoteAdded: { title: 'first' } } });
      // Removed from the organization: the subscription ends within 2 s, and no later note reaches it.
      const removedAt = Date.now();
      const removed = await gql('mutation ($o: ID!, $u: ID!) { removeMember(organizationId: $o, userId: $u) }', owner, {
        o: organizationId,
        u: member.id,
      });
      expect(removed.body.data).toEqual({ removeMember: true });
      await eventually(() => memberFeed.completed, 'the subscription ends', 2_000);
      expect(Date.now() - removedAt).toBeLessThan(2_000);
      expect(memberFeed.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
      await gql(write, owner, { o: organizationId, t: 'second' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(memberFeed.events).toHaveLength(1);
      // Back in, for the cases that run after this one.
      await gql('mutation ($o: ID!, $e: String!) { addMember(organizationId: $o, email: $e) { role } }', owner, {
        o: organizationId,
        e: member.email,
      });
    },
  };

  it('has a case for every @inOrganization rule in the schema', () => {
    const rules: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.keys(type.getFields()))
        if (fieldRequirement(schema, type, field).organizations.length > 0) rules.push(`${type.name}.${field}`);
    }
    expect(rules.sort()).toEqual(Object.keys(cases).sort());
  });

  it.each(Object.keys(cases))('%s', (coordinate) => cases[coordinate]!(), 15_000);
});
